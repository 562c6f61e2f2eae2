"""Give me back my Wi-Fi password, Tuya keys and pin map from a backup of a stock Tuya device.

Usage: python examples/02_wifi_credentials.py [DUMP]   (prints secrets: they are yours;
default: the shipped demo backup, whose credentials are made up)
"""

import sys
from pathlib import Path

from obkimg import tuya

dump = sys.argv[1] if len(sys.argv) > 1 else Path(__file__).with_name("bk7231n_demo_dump.bin.gz")
keys = tuya.extract_keys(dump)  # a TuyaKeys; NotFoundError when there is no Tuya storage
print("Wi-Fi SSID:    ", keys.wifi.ssid)
print("Wi-Fi password:", keys.wifi.password)
print("device id:     ", keys.device.device_id)
print("local key:     ", keys.device.local_key)
for pin in keys.pins:  # from user_param_key
    print(f"  GPIO{pin['gpio']:<3} {pin['role']:<10} channel {pin['channel']} active {pin['active_level']}")
print(f"{len(keys.values)} keys at {keys.storage.location.key_offset:#x}; problems: {len(keys.problems)}")
