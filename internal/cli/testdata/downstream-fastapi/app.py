"""A FastAPI service with known downstream work, for loadcheck's tests.

Each worker process opens an asyncpg pool of exactly $POOL connections to
$DSN and an httpx client to the stub at $STUB_URL. GET /work runs
$STATEMENTS statements (SELECT … AS request_work) through the pool and
calls the stub $CALLS times; a background task of each worker runs one
poll statement (SELECT … AS poll_count) every $POLL_S seconds, as an SSE
module polling the database would. With W workers: W×POOL connections,
W/POLL_S polls a second.
"""
import asyncio
import os

import asyncpg
import httpx
from fastapi import FastAPI

DSN = os.environ["DSN"]
STUB_URL = os.environ["STUB_URL"]
POOL = int(os.environ["POOL"])
STATEMENTS = int(os.environ["STATEMENTS"])
CALLS = int(os.environ["CALLS"])
POLL_S = float(os.environ["POLL_S"])

app = FastAPI()
state = {}


async def poll():
    while True:
        await asyncio.sleep(POLL_S)
        async with state["pool"].acquire() as conn:
            await conn.fetchval("SELECT count(*) AS poll_count FROM pg_class")


@app.on_event("startup")
async def startup():
    state["pool"] = await asyncpg.create_pool(
        DSN, min_size=POOL, max_size=POOL,
        server_settings={"application_name": "loadcheck-fastapi-test"})
    state["http"] = httpx.AsyncClient(base_url=STUB_URL, timeout=10)
    state["poll"] = asyncio.create_task(poll())


@app.on_event("shutdown")
async def shutdown():
    state["poll"].cancel()
    await state["http"].aclose()
    await state["pool"].close()


@app.get("/")
async def ready():
    return {"ok": True}


@app.get("/work")
async def work():
    async with state["pool"].acquire() as conn:
        for i in range(STATEMENTS):
            await conn.fetchval("SELECT $1::int AS request_work", i)
    for _ in range(CALLS):
        r = await state["http"].get("/v1/embeddings")
        r.raise_for_status()
    return {"ok": True}
