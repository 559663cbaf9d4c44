"""Files a page's form sends, read for the services: each read to one byte past the attachments'
limit at most, so that a larger one is refused whole by the service without being read further."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import UploadFile

from dunmore.errors import BadArgument
from dunmore.i18n import Text
from dunmore.workspace.activities import Upload
from dunmore.workspace.kinds import ATTACHMENT_MAX_BYTES


async def read_upload(file: UploadFile) -> Upload:
    return Upload(file.filename or "file", await file.read(ATTACHMENT_MAX_BYTES + 1))


async def read_uploads(
    files: list[UploadFile], *, most: int, too_many: Callable[[int], Text]
) -> list[Upload]:
    """The files chosen (a form's empty file field sends one without a name), at most `most`:
    more are refused with `too_many(count)`."""
    chosen = [f for f in files if f.filename]
    if len(chosen) > most:
        raise BadArgument(too_many(len(chosen)))
    return [await read_upload(f) for f in chosen]
