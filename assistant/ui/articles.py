"""What the web app's "Articles" tab shows and does, as plain functions of the index service.

The table of indexed articles, a one-line index status, an incremental index update that
reports progress as a fraction and a Vietnamese description, and the tab's two actions
(upload, delete) as (table, status, message). Every text is Vietnamese and ready to display.

Not here: Gradio components (`layout.py`), chat, the corpus files themselves (saving,
checking and deleting them is `assistant.corpus.files`), reading the articles (the manifest
already holds title, date and chunk count).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.corpus.files import delete_article, save_uploads
from assistant.errors import AssistantError, IndexLockedError
from assistant.indexing.index_service import IndexService
from assistant.indexing.updater import UpdateReport
from assistant.text.display import display_date
from assistant.text.normalize import fold_diacritics

LOCKED_MESSAGE = "Một tiến trình khác đang cập nhật chỉ mục; thử lại sau."

ProgressCallback = Callable[[float, str], None]


def _local_time(iso: str) -> str:
    """A UTC ISO timestamp from the manifest, in local time: `11/10/2022 08:40`."""
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone()
    return f"{local.day}/{local.month}/{local.year} {local:%H:%M}"


def article_rows(service: IndexService) -> list[list]:
    """[title, date, chunks, last indexed, article id] per indexed article, by title."""
    entries = sorted(
        service.indexed_articles(),
        key=lambda entry: (fold_diacritics(entry.title), entry.title, entry.article_id),
    )
    return [
        [
            entry.title,
            display_date(entry.date) or "",
            entry.chunks,
            _local_time(entry.indexed_at) if entry.indexed_at else "",
            entry.article_id,
        ]
        for entry in entries
    ]


def pending_summary(service: IndexService) -> str:
    """E.g. `12 bài, 180 đoạn; chờ cập nhật: 1 mới, 0 sửa, 0 xóa`."""
    status = service.status()
    pending = status.pending
    added, changed = len(pending.get("added", [])), len(pending.get("changed", []))
    deleted, unfinished = len(pending.get("deleted", [])), len(pending.get("unfinished", []))
    head = (
        f"{status.articles} bài, {status.chunks} đoạn" if status.collection else "Chưa có chỉ mục"
    )
    if added or changed or deleted or unfinished:
        tail = f"chờ cập nhật: {added} mới, {changed} sửa, {deleted} xóa"
        if unfinished:
            tail += f", {unfinished} dở dang"
    else:
        tail = "chỉ mục khớp với thư mục bài viết"
    text = f"{head}; {tail}"
    if status.rejected:
        text += f"; {len(status.rejected)} tệp lỗi không được lập chỉ mục"
    return text


def _progress_adapter(progress: ProgressCallback) -> Callable[[int, int, int], None]:
    def report(done: int, total: int, chunks: int) -> None:
        if total == 0:
            progress(1.0, "Không có bài nào cần nhúng")
        else:
            progress(done / total, f"Đã nhúng {done}/{total} bài ({chunks} đoạn)")

    return report


def describe_report(report: UpdateReport) -> str:
    """A Vietnamese summary of an update, e.g. `Đã thêm 1 bài, 12 đoạn được nhúng.`"""
    changes = [
        f"{verb} {count} bài"
        for verb, count in (
            ("thêm", report.added),
            ("sửa", report.changed),
            ("xóa", report.deleted),
        )
        if count
    ]
    if changes:
        text = "Đã " + ", ".join(changes) + f", {report.chunks_embedded} đoạn được nhúng."
    else:
        text = "Chỉ mục đã khớp với thư mục bài viết, không có gì thay đổi."
    problems = [f"{name}: {why}" for name, why in report.failed + report.rejected]
    if problems:
        text += f" {len(problems)} tệp lỗi: " + "; ".join(problems)
    return text


def update_index(service: IndexService, progress: ProgressCallback | None = None) -> str:
    """Bring the index in step with the corpus; returns a Vietnamese summary.

    Raises IndexLockedError with `LOCKED_MESSAGE` when another writer holds the index.
    """
    try:
        report = service.update(_progress_adapter(progress) if progress else None)
    except IndexLockedError as error:
        raise IndexLockedError(LOCKED_MESSAGE) from error
    if progress:
        progress(1.0, "Đã cập nhật chỉ mục")
    return describe_report(report)


TabUpdate = tuple[list[list], str, str]  # (table rows, index status, message)


def upload_articles(
    service: IndexService, settings: Settings, files: list[Any] | None, progress: Any = None
) -> TabUpdate:
    """Save uploaded files into the corpus and index them: (table, status, message)."""
    # Gradio hands over file paths (strings); older versions passed objects with `.name`.
    paths = [Path(f) if isinstance(f, str | Path) else Path(f.name) for f in files or []]
    result = save_uploads(paths, settings.corpus, settings.max_file_bytes)
    lines = [f"Đã lưu: {article_id}" for article_id in result.saved]
    lines += [f"Không nhận {name}: {why}" for name, why in result.rejected]
    if result.saved:
        lines.append(_update(service, progress))
    return article_rows(service), pending_summary(service), "\n".join(lines) or "Chưa chọn tệp."


def remove_article(
    service: IndexService, settings: Settings, article_id: str | None, progress: Any = None
) -> TabUpdate:
    """Delete an article file and drop its chunks from the index."""
    if not article_id:
        return article_rows(service), pending_summary(service), "Chưa chọn bài."
    try:
        delete_article(article_id, settings.corpus)
    except AssistantError as error:
        return article_rows(service), pending_summary(service), str(error)
    message = f"Đã xóa {article_id}. {_update(service, progress)}"
    return article_rows(service), pending_summary(service), message


def _update(service: IndexService, progress: Any) -> str:
    """`update_index` with Gradio's progress bar; a held lock becomes the message."""
    try:
        return update_index(service, (lambda f, what: progress(f, desc=what)) if progress else None)
    except AssistantError as error:  # another writer holds the index: say so, lose nothing
        return str(error)
