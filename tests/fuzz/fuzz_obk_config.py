"""Fuzz the OpenBeken config: bare mainConfig_t (every pin layout, strict and not, decode, rebuild),
EasyFlash v4 areas (any granularity), and the recovery search (find_config, obk.recover_config)."""

from __future__ import annotations

import fuzzlib

GLOBS = ("obk/*.bin",)


def _uninstrumented_crc() -> None:
    """Swap ``tiny_crc8`` (a byte loop run ~50 times per input over 3.5 KB) for an uninstrumented copy of
    its own source: instrumenting it only costs speed (30x), there is no branch to cover inside."""
    import inspect

    from obkimg.formats.config import obk_struct as st

    namespace: dict = {}
    exec(compile(inspect.getsource(st.tiny_crc8), st.__file__, "exec"), st.__dict__, namespace)  # noqa: S102
    st.tiny_crc8 = namespace["tiny_crc8"]


def test_one_input(data: bytes) -> None:
    """Each input takes one of three paths (by its length), to keep the speed up."""
    from obkimg import obk, obk_locate
    from obkimg.formats.config import easyflash as ef
    from obkimg.formats.config import obk_config as oc
    from obkimg.source import Source

    clean = fuzzlib.clean
    mode = len(data) % 3
    if mode == 0:  # bare mainConfig_t, every pin layout
        for pins in (32, 48, 50, 64):
            clean(oc.ObkConfig.parse, data, pins=pins, strict=True)
            cfg = clean(oc.ObkConfig.parse, data, pins=pins)
            if cfg is not None:
                cfg.decode()
                assert cfg.build() == data[: cfg.length], "config rebuild differs"
    elif mode == 1:  # EasyFlash v4 areas
        for gran in (None, 1, 8, 32):
            area = clean(ef.parse_easyflash, data, gran=gran)
            if area is not None:
                assert area.build() == area.data, "EasyFlash rebuild differs"
    else:  # the recovery search and the open() model
        res = clean(obk_locate.find_config, data)
        if res is not None:
            res.to_dict(show_secrets=False)
        clean(obk.recover_config, data, chip="BL602")
    oc.detect(data)
    img = clean(oc.load, Source(data))
    if img is not None:
        fuzzlib.exercise(img)


if __name__ == "__main__":
    fuzzlib.main(test_one_input, globs=GLOBS, max_len=0x3000, after_import=_uninstrumented_crc)
