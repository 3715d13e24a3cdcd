"""Second-generation ID card reader over the SAM serial protocol (GA/T 467).

* `codec`: pure frames, statuses, payloads and card text ↔ `Identity`;
* `device`: `IdReaderDriver` (the runner's `Driver`), its events `CardRead`,
  `CardRemoved`, `CardReadFailed`, and the blocking `read_card_once`;
* `sim`: `IdReaderSimulator`, the module behind `sim://`, and the sample cards;
* `identity` / `idnumber`: what a card says about its holder, GB 11643 numbers.
"""
