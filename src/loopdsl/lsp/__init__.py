"""The language server (`loopdsl lsp`): ``analysis`` answers,
``server`` speaks the protocol (pygls, the optional extra `loopdsl[lsp]`)."""
