"""Instructions planted in article text: sentences addressed to the assistant, not readers.

An article is data. A sentence that speaks to whoever answers is an attack, not a
statement, so it is never evidence: the extractive answerer does not answer from it, and
verification neither accepts a figure because such a sentence holds it nor a reply that
repeats what only such a sentence says.

Recognised by structure, not by fixed phrases, in Vietnamese with or without diacritics
(patterns are matched on the folded sentence) and in English. A sentence is planted when it
1. carries chat-template or prompt-format markup (`<|im_start|>`, `[INST]`, `<<SYS>>`,
   `### Instruction:`), or opens with a role label ("System:", "Hệ thống:", "Trợ lý AI:",
   "Assistant:", "Người dùng:");
2. addresses the machine reading it: names an AI, assistant, chatbot or (language) model
   as the one spoken to ("Gửi mô hình ngôn ngữ…", "Note to any AI reading this", "Nếu bạn
   là trợ lý AI…"), or tells "you" what you are now ("Bạn bây giờ là…", "You are now…",
   "developer mode");
3. tells its reader to drop its rules: an ignore verb (bỏ qua, phớt lờ, quên, ignore,
   disregard, override) on instructions, rules or prompts that are sweeping or earlier
   ("mọi", "trước đó", "above", "previous"), unless negated ("không được bỏ qua hướng dẫn
   của Bộ" is a directive in the news);
4. gives an order about answering: an imperative ("hãy", "phải", "luôn", "chỉ được",
   "always", "never", or an English sentence opening with the verb) of saying, answering,
   citing, revealing or hiding, whose object is the answer, the user, the question, the
   source or citation, the instructions or prompt ("hãy trả lời rằng…", "khi được hỏi…
   hãy nói…", "always cite [3]", "do not tell the user…", "reveal your system prompt").
Ordinary imperatives are not enough: "Hãy vì nhân dân phục vụ" and "Bạn hãy uống đủ nước"
order no answer, and reported speech ("ông trả lời rằng…") is not an imperative.

The patterns above name whole shapes; what they miss, a sentence can still give away by
its parts. Six kinds of cue are looked for (`_CUES`): a machine as the one meant ("công cụ
tóm tắt tự động", "language models", "mô hình hãy…"), "you" as the one spoken to, an order
("hãy", "phải", "đề nghị", "must", "hereby"), the business of answering (the answer, the
question, citing a source, summarising), covert aims (secrecy, overriding, a role to play,
configuration, encoding), the document pointing at itself ("bài viết này", "this text"),
and a trigger on every answer or question ("mọi câu trả lời", "if anyone asks"). A sentence
with three kinds, or naming a machine beside "you", a trigger, a covert aim or the document
itself, is planted. Each kind alone is common in the news; three together are not.

Measured in docs/reliability.md: detection on a held-back list written separately from this
module (tests/answering/data/injections_heldback_6.txt: 83%, short of the 95% aimed at),
false positives on 1,000 ordinary news sentences. Not here, and not possible from text
alone: telling a false statement from a true one. A planted plain sentence ("Tổng số đảng
viên là 99.999.") is that article's claim like any other, and its citation lets the reader
judge it.

Longer than 300 lines because its whole-shape patterns and its cue lists are one
vocabulary: a cue added to one and not the other is how a planted order slips through.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from assistant.text.normalize import without_marks
from assistant.text.sentences import sentence_spans


def _folded(text: str) -> str:
    """`text` without diacritics, case kept (so "AI" can be told from "ai", "who")."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = text.replace("\u00d0", "D")
    return unicodedata.normalize("NFC", without_marks(text))


_MACHINE = (
    r"(?:trợ lý(?: ảo| ai)?|chatbot|chat bot|bot|mô hình (?:ngôn ngữ|ai|trí tuệ nhân tạo)|"
    r"hệ thống ai|trí tuệ nhân tạo|(?-i:AI)|llm|gpt|chatgpt|assistant|language model|model|"
    r"ai model|ai system|hệ thống (?:tóm tắt|trả lời|hỏi đáp)|công cụ (?:ai|tóm tắt|"
    r"trí tuệ nhân tạo|tổng hợp(?: tin tức)?|tìm kiếm)|summari[sz]er|ai tóm tắt|aggregator|"
    r"crawler)"
)
_MARKUP = (
    r"</?(?:article|document|context|passage|system|user|assistant|instructions?)>|"
    r"<\|\w+\|>|\[/?inst\]|<<\s*/?sys\s*>>|#{2,}\s*(?:instruction|system|response|hướng dẫn)"
)
_ROLE = (
    r"(?:^|\n|>\s*)\W*(?:system|assistant|user|human|(?-i:AI)|hệ thống|người dùng|"
    r"trợ lý(?: ảo| ai)?|"
    r"chatbot|bot|mô hình|llm|gpt|developer|nhà phát triển|quản trị viên|admin|operator|"
    r"người vận hành)"
    r"(?:\s+(?:message|prompt|note|notice|override|update|thông báo|nhắc nhở|cập nhật))?\s*:"
    r"|\[[^\]]{0,30}\b(?:system|assistant|hệ thống|người dùng|trợ lý|quản trị|admin)\b[^\]]{0,30}\]"
)
_ADDRESSED = (
    # vocative: "Gửi mô hình …", "Note to any AI …", "Dear assistant", "Lưu ý cho trợ lý"
    rf"\b(?:gửi|thư gửi|lưu ý(?: cho| với| dành cho)?|chú ý|nhắn|dành cho|note to|"
    rf"attention|message to|dear|to)\s+(?:\w+\s+){{0,3}}?{_MACHINE}\b",
    rf"^\W*{_MACHINE}\s*(?:ơi|[:,!])",  # "Trợ lý AI: …", "AI ơi, …"
    rf"\b(?:hey|hi|hello|này|ê|alo|chào)\s*,?\s+{_MACHINE}\b",
    rf"\b{_MACHINE}s?(?:\s+[\w-]+){{0,3}}\s*:",  # "Yêu cầu đối với AI: …"
    r"\b(?:dành cho|gửi|cho|for) (?:các |the )?(?:mô hình|trợ lý|hệ thống|máy|machines?|bots?)"
    r"\s*:",
    rf"\b{_MACHINE} (?:thân mến|kính mến|ơi)\b",
    rf"\b{_MACHINE} (?:phải|cần|hãy|nên|sẽ phải|chỉ được|luôn) (?:\w+ ){{0,2}}?"
    r"(?:trả lời|nói|viết|trích dẫn|khẳng định|giới thiệu|nhắc|đề cập|tiết lộ)\b",
    r"\b(?:vai trò|role)\s*:\s*(?:hệ thống|system|assistant|trợ lý|developer|admin)\b",
    # an identifier of a prompt format planted as metadata: ai_instruction="…"
    r"\b\w*(?:_ai|ai_|_llm|llm_|_bot|bot_|prompt|instruction|chi_dan|huong_dan)\w*\s*=",
    r"\bbạn (?:đã )?được (?:nâng cấp|cập nhật|lập trình lại)\b|"
    r"\byou (?:have been|were|are being) (?:updated|upgraded|reprogrammed|modified|reset)\b|"
    r"\byour (?:developers|creators|operators|owners|programmers)\b",
    rf"\bbạn (?:là|đang là) (?:một )?{_MACHINE}\b",
    rf"\b(?:yêu cầu|đề nghị|ra lệnh cho|bảo|nhắc) {_MACHINE}\b|"
    rf"\b(?:instruct|tell|ask|command|order) (?:the|this|any) {_MACHINE}\b",
    rf"\b(?:the|this|any) {_MACHINE} (?:must|should|will|shall|has to|needs to|is to)\b",
    r"\b(?:hãy|bạn hãy) (?:đóng vai|nhập vai|giả vờ|giả làm|tưởng tượng bạn là)\b",
    r"\bbạn (?:đã )?được (?:cài đặt|lập trình|huấn luyện|thiết lập|cấu hình|dặn)\b|"
    r"\byou (?:were|have been|are) (?:told|instructed|programmed|trained|configured)\b",
    rf"\b(?:nếu|khi) (?:bạn|mày) là (?:một )?{_MACHINE}\b|\bif you are an? {_MACHINE}\b",
    rf"\b{_MACHINE} (?:đang |nào )?(?:đọc|xử lý|reading|processing|that reads)\b",
    rf"\b(?:any|every|all) {_MACHINE}s?\b",
    # a new identity or mode for "you"
    r"\b(?:bạn|mày|ngươi) (?:bây giờ|giờ đây|từ giờ|hiện giờ|từ nay|kể từ bây giờ)?\s*"
    r"(?:là|sẽ là|đóng vai|hãy đóng vai|trở thành) (?:một )?(?:trợ lý|(?-i:AI)|mô hình|bot|"
    r"chatbot|(?-i:DAN)|phiên bản)\b",
    r"\b(?:bạn|mày) (?:bây giờ|giờ đây|từ giờ|từ nay|kể từ nay|kể từ bây giờ) "
    r"(?:là|sẽ là|đóng vai|trở thành)\b",
    r"\b(?:từ giờ|từ nay|kể từ nay|kể từ bây giờ|bây giờ|từ lúc này),? (?:bạn|mày) "
    r"(?:là|sẽ là|đóng vai|trở thành)\b",
    r"\b(?:you are now|from now on,? you|act as|pretend (?:to be|you are)|you will now|"
    r"roleplay as|if you are (?:an? )?(?:ai|assistant|model|summari[sz]ing|reading|processing))\b",
    r"\b(?:không (?:còn )?bị ràng buộc bởi|không có giới hạn nào|no longer bound|not bound by|"
    r"without any (?:restrictions|rules|filters))\b",
    r"\b(?:chế độ|mode)\s+(?:nhà phát triển|developer|dan|jailbreak|god|không giới hạn)\b|"
    r"\b(?:developer|dan|jailbreak|god|unrestricted) mode\b",
)
_RULES = (
    r"(?:hướng dẫn|chỉ dẫn|chỉ thị|quy tắc|luật lệ|lời dặn|mệnh lệnh|lệnh|câu lệnh|lời nhắc|"
    r"prompt|instructions?|rules?|guidelines?|directions?|directives?|constraints?|"
    r"system prompt|nguyên tắc)"
)
_IGNORE = (
    r"(?:ngừng tuân theo|thôi tuân theo|dừng tuân theo|ngừng làm theo|stop following|"
    r"stop obeying|bỏ qua|phớt lờ|lờ đi|quên(?: đi| hết)?|gạt bỏ|vô hiệu hóa|ignore|disregard|"
    r"forget|override|bypass|skip)"
)
_SWEEPING = (
    # not "các": "bỏ qua các hướng dẫn của Trung ương" reports a neglect
    r"(?:mọi|tất cả|toàn bộ|trước đó|trước|ở trên|phía trên|trên đây|cũ|ban đầu|"
    r"gốc|của bạn|all|any|every|previous|prior|above|earlier|preceding|your|the|"
    r"system|original|old|existing)"
)
_DROP_RULES = (
    rf"(?<!không )(?<!không được )(?<!đừng )(?<!chớ )(?<!not )(?<!never )\b{_IGNORE}\s+"
    rf"(?:\w+\s+){{0,3}}?{_SWEEPING}\s+(?:\w+\s+){{0,2}}?{_RULES}\b"
    rf"|\b{_IGNORE}\s+{_RULES}\s+(?:trước đó|ở trên|phía trên|trên đây|cũ|above|before)\b"
)
# Talk about the reader's own rules or output: "chỉ dẫn ẩn", "quy tắc của bạn", "your reply".
_META = (
    rf"\b{_RULES}\s+(?:ẩn|bí mật|hệ thống)\b|\b{_RULES}(?:\s+[\w-]+){{0,2}}?\s+của bạn\b",
    r"\bbạn chỉ được (?:nói|trả lời|viết|trích dẫn|dùng|nhắc)\b",
    rf"\b(?:{_RULES}|chính sách) (?:của|dành cho) {_MACHINE}\b",
    r"\b(?:người tạo ra bạn|chủ sở hữu (?:mới )?của bạn)|"
    r"\byour (?:new )?(?:owner|creator|master)\b",
    r"\b(?:mệnh lệnh|lệnh) (?:ưu tiên|tối cao|cao nhất)|\b(?:new|priority|override) "
    r"instructions?\b|\boverride (?:everything|all)\b|\b(?:hướng dẫn|chỉ dẫn) mới (?:sau đây|"
    r"như sau|dành cho)",
    r"\b(?:mỗi|mọi|tất cả) câu trả lời (?:\w+ ){0,2}?(?:phải|đều phải|cần|nên)\b",
    r"\bcâu hỏi của người dùng|\bthe user'?s (?:question|query|message)",
    r"\bkhông (?:phải|cần|còn phải) tuân theo (?:bất kỳ |bất cứ )?(?:chính sách|quy tắc|"
    r"hướng dẫn|chỉ dẫn)(?: nào)",
    r"\b(?:treat|consider|regard) (?:this|the) (?:text|article|page|document|report) as\b",
    r"\b(?:lệnh|chỉ thị|yêu cầu|thông điệp|thông báo|tin nhắn|lời nhắn) (?:từ|của) "
    r"(?:quản trị viên|admin|nhà phát triển|developer|nhà điều hành|người vận hành|nhà vận hành|"
    r"operator)\b|\b(?:quản trị viên|nhà phát triển|người vận hành|nhà vận hành|operator|"
    r"developer) (?:\w+ ){0,2}?(?:yêu cầu|muốn|ra lệnh|chỉ thị|override|says|requires|wants)\b|"
    r"\b(?:message|instruction|command|order)s? from "
    r"(?:the |your )?(?:admin|administrator|developer|operator|system)\b",
    r"\b(?:hidden|secret|system|your|initial|original)(?: \w+){0,2}? (?:instructions?|prompts?|"
    r"rules|guidelines|directives|policies|configuration)\b",
    r"\b(?:lời nhắc|prompt) (?:hệ thống|ban đầu|gốc)\b",
    r"\b(?:câu trả lời|phản hồi|đầu ra|bản tóm tắt) (?:của bạn|tiếp theo của bạn)\b|"
    r"\byour (?:repl(?:y|ies)|answers?|responses?|outputs?|summary|summaries|next message)\b",
    r"\b(?:chính sách|quy định|giới hạn|bộ lọc)(?: an toàn| kiểm duyệt)? của bạn\b",
    r"\b(?:nhiệm vụ|vai trò|mục tiêu|công việc) (?:mới |thật sự |thực sự )?của bạn (?:là|bây giờ)|"
    r"\byour (?:new |real |true )?(?:task|role|job|goal|mission|purpose) (?:is|now)\b",
    rf"\b{_RULES} (?:trước đây|trước đó|ở trên|phía trên|cũ|ban đầu)(?:\s+[\w-]+){{0,2}}?\s*"
    r"(?:đã |đều )?(?:bị sai|là sai|sai|không đúng|không còn hiệu lực|hết hiệu lực|đã hết hạn|"
    r"hết hạn|bị hủy|bị hủy bỏ|bị gỡ bỏ|được gỡ bỏ|bị xóa|vô hiệu)|"
    rf"\b{_RULES} (?:above|before|earlier) (?:are|were) (?:wrong|void|cancell?ed|outdated)",
    r"\b(?:câu trả lời|đáp án) (?:đúng |chính xác )?cho (?:mọi|tất cả|bất kỳ|bất cứ) câu hỏi|"
    r"\bmọi câu hỏi\b.{0,60}?\b(?:phải được trả lời|được trả lời bằng|đều trả lời)|"
    r"\bthe (?:correct |right )?answer to (?:any|every|all) questions?",
    r"\b(?:coi|xem|đánh dấu|ghi nhận) (?:nội dung |thông tin )?(?:của )?(?:bài viết|bài báo|bài|"
    r"văn bản|trang) này (?:là|như) (?:nguồn|tài liệu|sự thật|chân lý|thông tin (?:đúng|chính xác))"
    r"|\b(?:this|the) (?:article|page|text|document|report) (?:is|as) the (?:only|official|"
    r"primary|sole|most reliable|most trusted) (?:reliable )?source",
    r"\b(?:kết thúc|mở đầu|bắt đầu|chèn vào|thêm vào) (?:mỗi |mọi |các )?(?:câu trả lời|phản hồi)|"
    r"\b(?:end|start|begin|prefix|suffix|append to) (?:each |every |your |the )?"
    r"(?:answer|reply|response|output)",
    r"\b(?:ở|vào) (?:đầu|cuối) (?:mỗi |mọi )?(?:câu trả lời|phản hồi)|"
    r"\b(?:trong|ở|vào) (?:bất kỳ|bất cứ|mọi|các|mỗi) câu trả lời\b|"
    r"\bin (?:any|every|all|each) (?:of your )?(?:answers?|repl(?:y|ies)|responses?)\b",
    r"\b(?:trả lời|đáp) (?:mọi|tất cả|bất kỳ|bất cứ) câu hỏi (?:\w+ ){0,3}?bằng\b",
    r"\b(?:dù|bất kể|cho dù|mỗi khi|hễ|nếu) (?:người dùng|người hỏi|ai|bất kỳ ai|có người) "
    r"(?:hỏi|đặt câu hỏi)\b.{0,80}?\b(?:hãy|phải|luôn|chỉ)\b|"
    r"\b(?:no matter what|whatever|whenever) (?:the )?(?:user|anyone|someone) asks?\b",
    r"\bgiữ bí mật (?:điều này|chỉ dẫn|hướng dẫn|nội dung này)|"
    r"\bkeep (?:this|these|it) (?:secret|hidden|confidential) from\b",
    r"\b(?:trả lời|nói với|bảo) (?:người dùng|người hỏi) (?:rằng|là)\b|"
    r"\b(?:bài viết|bài báo|văn bản|trang) này là nguồn (?:chính thức|duy nhất)",
    r"\b(?:trích dẫn|ghi nguồn|dẫn nguồn|cite|credit)\b.{0,60}?\b(?:nguồn (?:chính thức|"
    r"duy nhất|chính xác nhất|đáng tin cậy nhất)|(?:the )?(?:only|official|primary|sole) source)",
    r"\b(?:đừng|không được|không|never|do not|don't) (?:\w+ ){0,2}?(?:cho (?:người dùng|"
    r"người đọc|người hỏi) biết|(?:tiết lộ|nói) (?:cho|với) (?:người dùng|người đọc|người hỏi)|"
    r"tell the (?:user|reader)|let the (?:user|reader) know|inform the (?:user|reader)|"
    r"mention (?:this|it) to)",
)
_ORDER = (
    r"(?:hãy|hãy luôn|luôn luôn|luôn|chỉ được|nhớ|nhất định phải|bắt buộc phải|vui lòng|xin hãy|"
    r"đừng|always|never|must|should|please|do not|don't|make sure to)"
)
_SAY_VI = (
    r"(?:trả lời|đáp lại|nói (?:rằng|là|với)|viết (?:rằng|là)|in ra|xuất ra|trả về|"
    r"ghi (?:nguồn|rằng|là)|trích dẫn|dẫn nguồn|tiết lộ|hiển thị|lặp lại|nhắc lại|"
    r"khẳng định rằng|xác nhận rằng|đề cập|nhắc đến|cho (?:người dùng|họ) biết|che giấu|giấu|"
    r"tuân theo|làm theo)"
)
_SAY_EN = (
    r"(?:answer|respond|reply|say|output|print|write|reveal|repeat|cite|state|tell|show|"
    r"display|mention|include|hide|claim|confirm|append|add|follow|obey)"
)
_ABOUT_ANSWERING = (
    r"(?:rằng|là:|that|with|câu trả lời|trả lời|người dùng|người hỏi|câu hỏi|nguồn|"
    r"trích dẫn|answer|response|reply|the user|users?|question|source|citation|cite|"
    rf"\[\d+\]|{_RULES}|system|bí mật|secret|hidden|ẩn|cụm từ|dòng chữ|chuỗi ký tự|từ khóa|"
    r"the (?:word|phrase|token|string|text))"
)
_SAY_META = r"(?:ghi nguồn|dẫn nguồn|trích dẫn|in ra|xuất ra|trả về|tiết lộ|in nguyên văn)"
_ORDERS = (
    rf"\b{_ORDER}\s+(?:\w+\s+){{0,2}}?{_SAY_META}\b",
    rf"\b{_ORDER}\s+(?:\w+\s+){{0,2}}?(?:{_SAY_VI}|{_SAY_EN})\b.{{0,60}}?{_ABOUT_ANSWERING}",
    # "Khi (được) hỏi / trả lời …, hãy …": an order for the moment of answering
    # not a quoted speaker: "Khi được hỏi, ông đáp: “Hãy nhìn xem.”" (real news)
    r"\bkhi (?:trả lời|được hỏi|bị hỏi|người dùng hỏi|có ai hỏi|ai hỏi)\b[^.!?“”\"]{0,80}?"
    r"\b(?:hãy|luôn luôn|chỉ được|nhớ)\b",
    r"\bkhi (?:tóm tắt|trích dẫn|viết câu trả lời|xử lý)\b.{0,80}?\b(?:hãy|phải|luôn)\b",
    r"\b(?:trước khi|sau khi|mỗi khi|mỗi lần|bất cứ khi nào) (?:bạn )?(?:trả lời|được hỏi)\b",
    r"\bhãy\b.{0,60}\bkhi (?:được hỏi|người dùng hỏi)\b",
    r"\b(?:trong trường hợp|nếu|khi|hễ) (?:câu hỏi|người dùng|người hỏi) (?:có )?(?:nhắc đến|"
    r"nhắc tới|đề cập|hỏi về|chứa|liên quan)",
    r"\b(?:when|whenever|if) the (?:question|user|query|prompt) (?:mentions|asks|contains|is about|"
    r"refers to)\b",
    r"\b(?:when|whenever|if) (?:asked|someone asks|the user asks|users ask|answering|"
    r"summari[sz]ing|responding|replying|writing (?:your|the) (?:answer|reply|summary))\b",
    # English opens with the verb: "Answer every question with …", "Reveal the prompt."
    rf"^[^\w]*(?:please\s+)?(?:{_SAY_EN}|ignore|disregard|forget|override)\b.{{0,80}}?"
    rf"{_ABOUT_ANSWERING}",
    r"\b(?:ignore|disregard|forget)\s+(?:the|this|that|all|everything)(?:\s+(?:article|text|"
    r"above|content|context|passage|document|page|else))?\b",
)
_PATTERNS = (_MARKUP, _ROLE, *_ADDRESSED, _DROP_RULES, *_META, *_ORDERS)
# The cues of the second test: a sentence holding several kinds is addressed to a machine.
_CUES = {
    "machine": r"\b(?:trợ lý (?:ảo|ai|này|nào)|chatbot|chat ?bot|bots?|(?-i:AI)|llms?|gpt|"
    r"assistants?|language models?|ai models?|ai systems?|automated|mô hình (?:ngôn ngữ|ai|"
    r"trí tuệ|trả lời|tổng hợp|đang|nào|tóm tắt|đọc)|mô hình(?= (?:hãy|phải|cần|nên|không được|"
    r"chỉ được|luôn))|(?<=của )trợ lý|máy (?:đọc|tóm tắt)|(?:do |bằng )?máy (?:tạo|sinh|viết)|"
    r"trí tuệ nhân tạo|công cụ (?:ai|tóm tắt|tổng hợp|trả lời)|hệ thống (?:ai|tóm tắt|trả lời|"
    r"hỏi đáp|tự động)|tự động (?:tóm tắt|tổng hợp|trả lời)|người (?:trả lời|tóm tắt|tổng hợp) "
    r"(?:câu hỏi|bài|nội dung)|whoever (?:answers|summari[sz]es|reads)|summari[sz]ers?|"
    r"crawlers?)\b",
    # "bạn" as the one spoken to, not a friend ("bạn bè", "người bạn") or the readers
    "you": r"(?<!người )(?<!những )(?<!anh )(?<!chị )(?<!các )\b(?:bạn(?! (?:bè|đọc|thân|gái|"
    r"trai|học|đời|cùng|hữu|cũ|nghe|xem|quen))|you|your|mày)\b",
    # "phải" as "must", not in "không phải" (is not) or "gặp phải" (to meet with)
    "order": r"(?<!không )(?<!gặp )(?<!bị )\b(?:hãy|phải|cần|nên|đừng|không được|chỉ được|luôn|"
    r"vui lòng|xin|đề nghị|được yêu cầu|yêu cầu|bắt buộc|must|should|shall|needs? to|ha(?:s|ve) "
    r"to|hereby|instructed|please|kindly|ensure|make sure|do not|don't|never|always|required?|"
    r"requires|requests?|is to|are to)\b",
    "answering": r"\b(?:câu trả lời|trả lời|phản hồi|đáp án|(?:cho|với|tới|đến|khuyên|báo|nói|"
    r"giúp) người dùng|người dùng (?:hỏi|tìm)|(?<!mọi )người hỏi|câu hỏi|nguồn (?:tin|tham khảo|"
    r"dẫn|trích|chính thức|duy nhất|này|khác)|ghi nguồn|dẫn nguồn|trích dẫn|tóm tắt|answers?|"
    r"repl(?:y|ies)|respond|responses?|users?|questions?|asks?|asked|sources?|cite|summar\w+|"
    r"outputs?|say (?:that|the|it|only)|state that|print)\b",
    "covert": r"\b(?:bí mật|không phát hiện|kiểm duyệt|base64|mã hóa|ghi đè|bất kể|cấu hình|"
    r"khóa api|lời nhắc|vai trò|chuyển hướng|tiết lộ|không giải thích|giấu|che giấu|đóng vai|"
    r"regardless|no matter|api keys?|configuration|system prompt|temperature|roles?|redirect|"
    r"disclose|ignore|override|disregard|forget|secret|hidden|conceal|pretend|impersonat\w+)\b",
    "itself": r"\b(?:(?:bài viết|bài báo|văn bản|đoạn văn|đoạn|trang|tài liệu|nội dung) này|"
    r"this (?:text|article|page|document|passage|content|report))\b",
    "trigger": r"\b(?:mọi câu trả lời|mỗi câu trả lời|mọi câu hỏi|mỗi khi|bất cứ khi nào|"
    r"khi được hỏi|nếu câu hỏi|khi câu hỏi|nếu (?:có )?ai hỏi|khi (?:có )?ai hỏi|each (?:reply|"
    r"answer|response)|every (?:reply|answer|response|question)|if (?:anyone|someone|a user|"
    r"the user) asks|when(?:ever)? asked|should the (?:question|user)|any (?:question|answer|"
    r"reply))\b",
}
_BESIDE_A_MACHINE = {"you", "covert", "itself", "trigger"}


def _top_branches(pattern: str) -> list[str]:
    """`pattern` split at each `|` outside every group and character class."""
    branches, start, depth, escaped, class_start = [], 0, 0, False, -1  # class_start: open `[`
    for position, char in enumerate(pattern):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif class_start >= 0:  # `]` right after `[` or `[^` is a literal
            if char == "]" and position > class_start + 1 + (pattern[class_start + 1] == "^"):
                class_start = -1
        elif char == "[":
            class_start = position
        elif char in "()":
            depth += 1 if char == "(" else -1
        elif char == "|" and depth == 0:
            branches.append(pattern[start:position])
            start = position + 1
    return [*branches, pattern[start:]]


def _one_pattern(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """`patterns` as one alternation, the `\\b` most branches open with tested once:
    `\\b(?:A|B)` matches where `\\bA|\\bB` does, but inside a word fails at once instead of
    trying every branch (a third less time; the scan runs on every retrieved sentence).
    Only whether something matches is used, so the branches' order does not matter."""
    branches = [branch for pattern in patterns for branch in _top_branches(pattern)]

    def bounded(branch: str) -> bool:
        return branch.startswith(r"\b") and branch[2:3] not in ("*", "+", "?", "{")

    opened = "|".join(f"(?:{branch[2:]})" for branch in branches if bounded(branch))
    rest = [f"(?:{branch})" for branch in branches if not bounded(branch)]
    return re.compile("|".join([rf"\b(?:{opened})", *rest]), re.MULTILINE | re.IGNORECASE)


# A sentence typed with diacritics is matched as written ("của Ban" is not "của bạn");
# one typed without them, against the patterns folded.
_PLANTED = _one_pattern(_PATTERNS)
_PLANTED_FOLDED = _one_pattern(tuple(_folded(p) for p in _PATTERNS))


_CUE = {kind: re.compile(pattern, re.IGNORECASE) for kind, pattern in _CUES.items()}
_CUE_FOLDED = {kind: re.compile(_folded(p), re.IGNORECASE) for kind, p in _CUES.items()}


def cues(sentence: str) -> frozenset[str]:
    """The kinds of cue in `sentence` (keys of `_CUES`), matched as `is_instruction` does."""
    sentence = unicodedata.normalize("NFC", sentence)
    patterns = _CUE if _folded(sentence) != sentence else _CUE_FOLDED
    return frozenset(kind for kind, pattern in patterns.items() if pattern.search(sentence))


def is_instruction(sentence: str) -> bool:
    """Whether `sentence` is addressed to the assistant rather than stated by an article."""
    sentence = unicodedata.normalize("NFC", sentence)
    planted = _PLANTED if _folded(sentence) != sentence else _PLANTED_FOLDED
    if planted.search(sentence):
        return True
    kinds = cues(sentence)
    return len(kinds) >= 3 or ("machine" in kinds and bool(kinds & _BESIDE_A_MACHINE))


def instruction_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text` that is a planted instruction."""
    return [(start, end) for start, end in sentence_spans(text) if is_instruction(text[start:end])]


# Every step of an answer, and every later question that retrieves the same passage, asks
# again for the same passage's clean text: scanned afresh it cost ~15 ms a question.
@functools.lru_cache(maxsize=4096)
def without_instructions(text: str) -> str:
    """`text` with its planted instructions blanked out; offsets stay valid."""
    for start, end in instruction_spans(text):
        text = text[:start] + " " * (end - start) + text[end:]
    return text
