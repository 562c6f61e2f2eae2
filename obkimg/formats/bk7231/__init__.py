"""Beken BK7231 formats: bootloader/app images (QIO, UA), FAL table, RBL and Tuya UG containers."""
