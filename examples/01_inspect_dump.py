"""What is this file? Kind, chip and flash map of any supported file.

Usage: python examples/01_inspect_dump.py [FILE]   (default: the shipped demo backup)
"""

import sys
from pathlib import Path

import obkimg

source = sys.argv[1] if len(sys.argv) > 1 else Path(__file__).with_name("bk7231n_demo_dump.bin.gz")
img = obkimg.open(source)  # path, bytes or file object; .gz and Intel HEX are unpacked
print(f"{img.kind} for {img.chip or 'an unknown chip'}, {img.size} bytes")
for region in img.regions():
    print(f"  {region.offset:#08x} {region.size:#08x}  {region.name:<20} {region.state}")
for problem in img.verify():  # the full checks: every CRC, hash and size
    print("problem:", problem)
print("all checks passed" if not img.verify() else "damaged")
