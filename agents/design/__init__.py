"""Designing a Pin's image: ``scene_map`` (each platform's scene), ``designer`` (the LLM's
``DesignSpec``), ``imaging`` (Pillow rendering), ``overlay`` (the headline band and its font),
``contrast`` (WCAG contrast)."""
