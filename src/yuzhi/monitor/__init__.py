"""Equipment, mine-safety and cold-chain monitoring (豫鼎安澜 / 天信 / 华鼎雪豹).

Pure cores (no database, no HTTP):

- :mod:`yuzhi.monitor.io` reads sensor tables (CSV/Parquet) and reports sampling problems.
- :mod:`yuzhi.monitor.rules` statutory presets (coal-mine methane/CO, cold chain) with hysteresis,
  excursions, mean kinetic temperature and stale-sensor alarms.
- :mod:`yuzhi.monitor.detectors` learned early warning (fit/predict/score, per-sensor attribution,
  batch and point-by-point streaming with the same model).
- :mod:`yuzhi.monitor.benchmarks` the SKAB and NAB protocols and scorers.

Platform layers (``models``, ``service``, ``api``, ``cli``) sit on top of them.
"""
