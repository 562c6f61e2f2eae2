"""Pure codecs: bytes in, bytes out, no I/O, no knowledge of files or the CLI."""
