"""The sections of the benchmark, run by scripts/bench.py (`make bench`):

  common        constants, the bench objects, logging
  cpu           CPU time per process role (/proc), the machine's share used by others
  setup         the build snapshot, local R2 and moto seeding, the Workers under `wrangler dev`
  wrk           wrk runs (Lua summary, prebuilt rotating requests), measured with retries
  get           GET of objects (moto direct, proxy over moto and R2), the runtime floors
  listing       ListObjectsV2 of 1000 keys
  sts           STS exchanges and signed vs anonymous GETs
  catalog, catalog_probe, catalog_run   the HTTP catalog and minted tokens
  report, catalog_report                Markdown tables and the docs/BENCHMARKS.md blocks
"""
