"""Designing a Pin's image: ``scene_map`` (each platform's scene), ``designer`` (the LLM's
``DesignSpec``), ``sources`` (checking and decoding untrusted source images within a memory
bound), ``colour`` (8-bit sRGB from 16-bit and ICC-tagged sources), ``preview`` (the copy a vision
model sees), ``saliency`` (the focal points and the subject from the pixels: ``faces``,
``text_regions``, ``feature_maps``), ``focus`` (the model's box or the estimate), ``placement``
and ``arrange`` (the crop and the band chosen together), ``imaging`` (Pillow rendering),
``overlay`` (the headline band and its font), ``contrast`` (WCAG contrast); the layouts beyond
the band (``layouts`` chooses and renders: ``split``, ``collage``, ``typographic``, with
``typeset`` for text and the safe-zone and contrast checks, ``signature`` for the brand's logo
and name, ``finish`` for encoding) and ``brand`` (a channel's brand kit)."""
