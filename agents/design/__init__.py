"""Designing a Pin's image: ``scene_map`` (each platform's scene), ``designer`` (the LLM's
``DesignSpec``), ``sources`` (checking and decoding untrusted source images within a memory
bound), ``colour`` (8-bit sRGB from 16-bit and ICC-tagged sources), ``preview`` (the copy a vision
model sees), ``saliency`` (the subject estimated from the pixels), ``focus`` (the model's box or
the estimate), ``imaging`` (Pillow rendering), ``overlay`` (the headline band and its font),
``contrast`` (WCAG contrast)."""
