"""Bouffalo Lab BL602 formats: boot header, partition table and TOML, OTA, efuse, factory DTB, flash dump."""
