"""Run as a child process by test_durability: start a draw and stop dead (the test
kills it with SIGKILL) right after the entry's INSERT, before the container's
balance moves and before COMMIT."""

from __future__ import annotations

import sys
import time
from decimal import Decimal
from typing import Any

from sqlalchemy import event

from ketaclinic.auth.models import User
from ketaclinic.auth.service import principal_for
from ketaclinic.kit.db import make_engine, make_sessionmaker
from ketaclinic.ledger import service
from ketaclinic.ledger.schemas import DrawIn


def main(url: str, container_id: int, patient_id: int, user_id: int) -> None:
    engine = make_engine(url)

    @event.listens_for(engine, "after_cursor_execute")
    def _stop_after_insert(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO CS_ENTRIES"):
            print("INSERTED", flush=True)
            time.sleep(60)

    with make_sessionmaker(engine)() as db:
        user = db.get(User, user_id)
        assert user is not None
        principal = principal_for(db, user)
        service.draw(
            db,
            principal,
            DrawIn(container_id=container_id, patient_id=patient_id, amount_mg=Decimal(35)),
        )
        db.commit()
    print("COMMITTED", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
