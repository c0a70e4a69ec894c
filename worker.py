"""RQ worker entry point: `python worker.py` runs the worker with its scheduler.

The delivery jobs and the periodic dispatcher are added by the notifications work; until then
the worker only serves the queue.
"""

import sys

from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Worker

from app import create_app


def main(argv: list[str]) -> int:
    app = create_app()
    with app.app_context():
        queue = app.extensions["rq_queue"]
        try:
            queue.connection.ping()
        except RedisConnectionError:
            print(f"worker: Redis is not reachable at {app.config['REDIS_URL']}", file=sys.stderr)
            return 1
        worker = Worker([queue], connection=queue.connection)
        worker.work(with_scheduler=True, burst="--burst" in argv)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
