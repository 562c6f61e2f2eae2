"""Fuzz the OpenBeken config: bare mainConfig_t (every pin layout, strict and not, decode, rebuild),
EasyFlash v4 areas (any granularity), and the recovery search (find_config, obk.recover_config)."""

from __future__ import annotations

import fuzzlib

GLOBS = ("obk/*.bin",)


def test_one_input(data: bytes) -> None:
    from obkimg import obk
    from obkimg.formats import obk_config as oc
    from obkimg.source import Source

    clean = fuzzlib.clean
    for pins in (32, 48, 50, 64):
        clean(oc.ObkConfig.parse, data, pins=pins, strict=True)
        cfg = clean(oc.ObkConfig.parse, data, pins=pins)
        if cfg is not None:
            cfg.decode()
            cfg.values()
            clean(cfg.build)
    for gran in (None, 1, 8, 32):
        area = clean(oc.parse_easyflash, data, gran=gran)
        if area is not None:
            clean(area.build)
    res = clean(oc.find_config, data)
    if res is not None:
        res.to_dict(show_secrets=False)
    clean(obk.recover_config, data, chip="BL602")
    oc.detect(data)
    img = clean(oc.load, Source(data))
    if img is not None:
        fuzzlib.exercise(img)


if __name__ == "__main__":
    fuzzlib.main(test_one_input, globs=GLOBS, max_len=0x3000)
