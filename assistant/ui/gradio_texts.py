"""Gradio's own texts (upload box, buttons, queue and login messages) in Vietnamese.

Gradio 6.31 ships no Vietnamese and picks its language from the browser among those it
ships, falling back to English, so a Vietnamese browser gets English. Its `i18n` option adds
texts per locale, and a flat key (`"upload_text.drop_file"`) given for a locale takes
precedence over Gradio's own nested one; so the same texts are given for `en` (what a
Vietnamese browser falls back to) and `vi`. A browser set to another language Gradio ships
(French...) still gets that language for these few texts.

Not here: the app's own labels (`layout.py`, written in Vietnamese directly).
"""

from __future__ import annotations

import gradio as gr

VIETNAMESE = {
    "upload_text.click_to_upload": "Bấm để chọn tệp",
    "upload_text.drop_file": "Thả tệp vào đây",
    "upload_text.drop_csv": "Thả tệp CSV vào đây",
    "upload_text.paste_clipboard": "Dán từ bộ nhớ tạm",
    "file.uploading": "Đang tải lên...",
    "common.or": "hoặc",
    "common.clear": "Xóa",
    "common.download": "Tải về",
    "common.download_all": "Tải tất cả",
    "common.edit": "Sửa",
    "common.empty": "Trống",
    "common.error": "Lỗi",
    "common.loading": "Đang tải",
    "common.remove": "Bỏ",
    "common.settings": "Cài đặt",
    "common.submit": "Gửi",
    "common.undo": "Hoàn tác",
    "common.language": "Ngôn ngữ",
    "common.display_theme": "Giao diện",
    "common.progress": "Tiến độ",
    "common.built_with": "xây dựng bằng",
    "common.built_with_gradio": "Xây dựng bằng Gradio",
    "common.hosted_on": "Chạy trên",
    "common.runs": "Các lần chạy",
    "common.runs_description": "Xem các lần chạy lưu trong trình duyệt này",
    "common.back_to_app": "Ứng dụng",
    "common.back_to_app_description": "Quay lại ứng dụng",
    "common.share": "Chia sẻ",
    "common.run": "Chạy",
    "errors.use_via_api": "Dùng qua API",
    "errors.use_via_api_or_mcp": "Dùng qua API hoặc MCP",
    "errors.contact_page_author": "Hãy báo cho người quản lý trang.",
    "chatbot.copy_message": "Chép tin nhắn",
    "chatbot.copied_message": "Đã chép tin nhắn",
    "chatbot.clear": "Xóa",
    "chatbot.retry": "Thử lại",
    "chatbot.undo": "Hoàn tác",
    "chatbot.edit": "Sửa",
    "chatbot.submit": "Gửi",
    "chatbot.cancel": "Hủy",
    "chatbot.like": "Thích",
    "chatbot.dislike": "Không thích",
    "chatbot.complete": "Xong",
    "dataframe.sort_column": "Sắp xếp cột",
    "dataframe.sort_ascending": "Sắp xếp tăng dần",
    "dataframe.sort_descending": "Sắp xếp giảm dần",
    "dataframe.clear_sort": "Bỏ sắp xếp",
    "dataframe.filter": "Lọc",
    "dataframe.clear_filter": "Bỏ lọc",
    "blocks.connection_can_break": (
        "Trên điện thoại, kết nối có thể mất khi thẻ này bị ẩn hoặc máy ngủ, và câu hỏi mất "
        "chỗ trong hàng đợi."
    ),
    "blocks.lost_connection": "Mất kết nối vì đã rời trang. Đang vào lại hàng đợi...",
    "blocks.waiting_for_inputs": "Đang chờ tải tệp lên xong, hãy thử lại.",
    "status.queue_position": "Trong hàng đợi: {position}/{size}",
    "login.login": "Đăng nhập",
    "login.username": "tên đăng nhập",
    "login.password": "mật khẩu",
    "login.incorrect_credentials": "Sai tên đăng nhập hoặc mật khẩu",
}

GRADIO_TEXTS = gr.I18n(en=VIETNAMESE, vi=VIETNAMESE)
