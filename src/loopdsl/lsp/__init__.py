"""The language server (`loopdsl lsp`, SPEC §15): ``analysis`` answers,
``server`` speaks the protocol (pygls, the optional extra `loopdsl[lsp]`)."""
