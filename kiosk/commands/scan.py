"""`kiosk scan detect|decode|pdf`: the document camera's image work on files.

`detect --json` and `decode --json` print one line per image exactly as INTERFACES.md §3;
`ms` is the work on the decoded image, not the file's decoding. An unreadable image
gives its line with `quad: null` / `codes: []` and an `"error"` key, the other images
still run, and the command exits 1 at the end: never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from kiosk.commands.base import Groups, Subparsers, group
from kiosk.config import Config
from kiosk.errors import UsageError

EXIT_SOME_FAILED = 1


def register(sub: Subparsers, groups: Groups) -> None:
    scan = group(sub, groups, "scan", "document camera: find pages, read barcodes, make PDFs / 高拍仪")
    p = scan.add_parser("detect", help="page corners in each image")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("--json", action="store_true", help="one JSON line per image (INTERFACES.md §3)")
    p.set_defaults(func=cmd_detect)
    p = scan.add_parser("decode", help="barcodes in each image")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("--json", action="store_true", help="one JSON line per image (INTERFACES.md §3)")
    p.set_defaults(func=cmd_decode)
    p = scan.add_parser("pdf", help="detect, flatten and enhance pages into one PDF")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("-o", "--output", required=True, metavar="OUT.pdf")
    p.add_argument("--gray", action="store_true", help="grayscale pages (red seals stay red)")
    p.add_argument("--card", action="store_true", help="an ID card: two sides on one A4 page")
    p.add_argument("--min-pages", type=int, default=1)
    p.add_argument("--max-pages", type=int, default=20)
    p.set_defaults(func=cmd_pdf)


def _emit(obj: dict[str, Any], as_json: bool, human: str) -> None:
    if as_json:
        print(json.dumps(obj, ensure_ascii=False), flush=True)
    else:
        print(human, flush=True)


def cmd_detect(args: argparse.Namespace, config: Config) -> int:
    del config
    from drivers.camera.page import PageDetector, warm_up
    from drivers.camera.pipeline import decode_image_file

    detector = PageDetector()
    failed = 0
    warmed: set[tuple[int, ...]] = set()
    for name in args.images:
        img = decode_image_file(name)
        if img is None:
            failed += 1
            _emit({"file": name, "quad": None, "ms": 0.0, "error": "unreadable image"}, args.json,
                  f"{name}: unreadable image / 无法读取图像")
            continue
        if img.shape not in warmed:
            warm_up(detector, img.shape)  # not detection time: the process's first-call costs
            warmed.add(img.shape)
        start = time.perf_counter()
        det = detector.detect(img)
        ms = round((time.perf_counter() - start) * 1000, 1)
        quad = None if det.quad is None else [[round(float(x), 1), round(float(y), 1)] for x, y in det.quad]
        # Exactly the keys of INTERFACES.md §3 (the reason shows in the human output).
        obj: dict[str, Any] = {"file": name, "quad": quad, "ms": ms}
        human = f"{name}: {det.reason} {det.kind} {quad} ({ms} ms)" if quad else f"{name}: {det.reason} ({ms} ms)"
        _emit(obj, args.json, human)
    return EXIT_SOME_FAILED if failed else 0


def cmd_decode(args: argparse.Namespace, config: Config) -> int:
    del config
    from drivers.camera.barcodes import BarcodeDecoder
    from drivers.camera.pipeline import decode_image_file

    decoder = BarcodeDecoder()
    failed = 0
    for name in args.images:
        img = decode_image_file(name)
        if img is None:
            failed += 1
            _emit({"file": name, "codes": [], "ms": 0.0, "error": "unreadable image"}, args.json,
                  f"{name}: unreadable image / 无法读取图像")
            continue
        start = time.perf_counter()
        codes = decoder.decode(img)
        ms = round((time.perf_counter() - start) * 1000, 1)
        found = [{"format": c.format, "text": c.text} for c in codes]
        _emit({"file": name, "codes": found, "ms": ms}, args.json,
              f"{name}: " + (", ".join(f"{c.format} {c.text}" for c in codes) or "no codes") + f" ({ms} ms)")
    return EXIT_SOME_FAILED if failed else 0


def cmd_pdf(args: argparse.Namespace, config: Config) -> int:
    del config
    from drivers.camera import pdf
    from drivers.camera.pipeline import PagePipeline, PipelineConfig, decode_image_file
    from drivers.camera.rectify import page_size

    if args.min_pages < 1 or args.max_pages < args.min_pages:
        raise UsageError("--min-pages must be ≥ 1 and ≤ --max-pages / 页数范围无效")
    pipeline = PagePipeline(PipelineConfig(gray=args.gray))
    pages: list[pdf.PdfPage] = []
    failed = 0
    for name in args.images:
        img = decode_image_file(name)
        if img is None:
            failed += 1
            print(f"kiosk: {name}: unreadable image / 无法读取图像", file=sys.stderr)
            continue
        det = pipeline.detector.detect(img)
        if det.quad is None:
            failed += 1
            print(f"kiosk: {name}: no page found ({det.reason}) / 未找到页面", file=sys.stderr)
            continue
        page = pipeline.page_from(img, det.quad)
        size = page_size(page.quad, page.kind)
        pages.append(pdf.PdfPage(page.jpeg_bytes, page.width, page.height, size.width_mm, size.height_mm))
    result = pdf.assemble(pages, pdf.MaterialRule(args.min_pages, args.max_pages, card=args.card),
                          title=Path(args.output).stem)
    if result.pdf is None:
        print(f"kiosk: cannot make the PDF: {result.reason} ({result.pages} pages) / 无法生成 PDF", file=sys.stderr)
        return EXIT_SOME_FAILED
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".part")
    tmp.write_bytes(result.pdf)
    tmp.replace(out)  # a reader never sees half a PDF
    print(f"{out}: {result.pages} pages, {len(result.pdf) // 1024} KB")
    return EXIT_SOME_FAILED if failed else 0
