// Starts `loopdsl lsp` for .loop files. Everything else comes from the server.
"use strict";
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const [command, ...args] = vscode.workspace.getConfiguration("loopdsl").get("command");
  client = new LanguageClient(
    "loopdsl",
    "loopdsl",
    { command, args },
    { documentSelector: [{ scheme: "file", language: "loopdsl" }] },
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
