"""Prompt templates (``prompts/templates/*.j2``) and their loader; see ``prompts.loader``."""

from pinterest_agent.prompts.loader import (
    PromptLibrary,
    PromptTemplateError,
    RenderedPrompt,
    as_data,
)

__all__ = ["PromptLibrary", "PromptTemplateError", "RenderedPrompt", "as_data"]
