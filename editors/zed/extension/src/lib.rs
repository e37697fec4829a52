//! Zed extension that registers the `fastapi-docs-lsp` language server for Python.
//!
//! Zed only starts language servers that an extension registers; this one runs the server
//! installed with `pipx install .` from a checkout (`pipx install fastapi-docs-lsp` once published; found on the worktree's PATH, e.g. the
//! project's virtualenv), or `lsp.fastapi-docs-lsp.binary` from settings.json. The
//! `initialization_options` and `settings` of that entry are passed through.
use zed_extension_api::{self as zed, serde_json, settings::LspSettings, LanguageServerId, Result};

const SERVER: &str = "fastapi-docs-lsp";

struct FastapiDocsExtension;

impl FastapiDocsExtension {
    fn settings(worktree: &zed::Worktree) -> LspSettings {
        LspSettings::for_worktree(SERVER, worktree).unwrap_or_default()
    }
}

impl zed::Extension for FastapiDocsExtension {
    fn new() -> Self {
        FastapiDocsExtension
    }

    fn language_server_command(
        &mut self,
        _language_server_id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<zed::Command> {
        let binary = Self::settings(worktree).binary;
        let configured = binary.as_ref().and_then(|b| b.path.clone());
        let args = binary
            .as_ref()
            .and_then(|b| b.arguments.clone())
            .unwrap_or_default();
        let mut env = worktree.shell_env();
        if let Some(extra) = binary.as_ref().and_then(|b| b.env.clone()) {
            env.extend(extra);
        }
        let command = match configured {
            // an absolute or relative path is used as given; a bare name is looked up on PATH
            Some(path) if path.contains('/') || path.contains('\\') => path,
            Some(name) => worktree.which(&name).ok_or_else(|| {
                format!("{name} was not found on PATH; set lsp.{SERVER}.binary.path")
            })?,
            None => worktree.which(SERVER).ok_or_else(|| {
                format!(
                    "{SERVER} was not found on PATH: run `pipx install .` in a fastapi-docs-lsp checkout, \
                     or set lsp.{SERVER}.binary.path in settings.json"
                )
            })?,
        };
        Ok(zed::Command { command, args, env })
    }

    fn language_server_initialization_options(
        &mut self,
        _language_server_id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<Option<serde_json::Value>> {
        Ok(Self::settings(worktree).initialization_options)
    }

    fn language_server_workspace_configuration(
        &mut self,
        _language_server_id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<Option<serde_json::Value>> {
        Ok(Self::settings(worktree).settings)
    }
}

zed::register_extension!(FastapiDocsExtension);
