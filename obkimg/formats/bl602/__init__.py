"""Bouffalo Lab BL602 formats: boot header, partition table, OTA container, efuse, factory DTB, whole flash dump."""
