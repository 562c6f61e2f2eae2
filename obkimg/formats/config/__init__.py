"""Configuration storage formats: the encrypted Tuya key-value storage and the OpenBeken config."""
