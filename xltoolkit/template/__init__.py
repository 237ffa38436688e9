"""Rendering the plan's layout into protected, self-checking workbooks for each reporting agency."""

from xltoolkit.template.render import GeneratedTemplate, generate_templates, template_filename

__all__ = ["GeneratedTemplate", "generate_templates", "template_filename"]
