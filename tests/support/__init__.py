"""What the integration tests, the benchmark, the soak/load runs and the dev tools share
(`tests/` on sys.path, then `from support import ...` / `from support.x import ...`):

  procs        free ports, child processes in their own process groups, workerd's RSS
  moto         moto's S3 server (IAM auth on, or off)
  wrangler     `wrangler dev` of the prebuilt Worker: config, launch, readiness, logs
  servers      threaded HTTP servers and the JSON handler of the stubs and the dev IdP
  stubs        the dev IdP and the catalog stub as processes, with their clients
  sts          STS exchanges, SigV4 signing, JWT helpers
  clients      the S3 clients under test (boto3, awscli, duckdb, GDAL, rclone, ...)
  httpraw      raw HTTP requests and S3 XML scraping
  sample       the sample tree (scripts/sample_data.py) and moto's extra objects
  memprobe     the Worker isolate's heap through the inspector
  stub_catalog, stub_sts, faultproxy   stand-ins for the catalog API, AWS STS, a faulty network
  bench/       the sections of the benchmark (scripts/bench.py)

Everything listens on 127.0.0.1 only.
"""
