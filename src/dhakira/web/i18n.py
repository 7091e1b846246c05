"""The interface in Arabic and English: one message catalog, and choosing the language.

The language is the signed-in user's choice, else the one chosen in this browser (a cookie),
else the browser's Accept-Language, else English. Arabic pages are laid out right to left.
"""

from __future__ import annotations

LANGUAGES = ("ar", "en")
DIRECTION = {"ar": "rtl", "en": "ltr"}

MESSAGES: dict[str, tuple[str, str]] = {  # key: (English, Arabic)
    "app": ("Dhakira", "ذاكرة"),
    "tagline": ("Documentation archive", "أرشيف التوثيق"),
    "overview": ("Overview", "نظرة عامة"),
    "search": ("Search", "بحث"),
    "collections": ("Collections", "المجموعات"),
    "contributors": ("Contributors", "المساهمون"),
    "upload": ("Upload", "رفع ملفات"),
    "admin": ("Users", "المستخدمون"),
    "sign_in": ("Sign in", "تسجيل الدخول"),
    "sign_out": ("Sign out", "تسجيل الخروج"),
    "name": ("Name", "الاسم"),
    "password": ("Password", "كلمة المرور"),
    "language": ("Language", "اللغة"),
    "save": ("Save", "حفظ"),
    "account": ("Account", "الحساب"),
    "disable": ("Disable", "تعطيل"),
    "enable": ("Enable", "تفعيل"),
    "disabled": ("disabled", "معطّل"),
    "signed_in_as": ("Signed in as", "مسجّل الدخول باسم"),
    "items": ("items", "مادة"),
    "items_title": ("Items", "المواد"),
    "size": ("Size", "الحجم"),
    "type": ("Type", "النوع"),
    "year": ("Year", "السنة"),
    "contributor": ("Contributor", "المساهم"),
    "collection": ("Collection", "المجموعة"),
    "recent": ("Recently added", "أضيفت مؤخرًا"),
    "by_type": ("By type", "حسب النوع"),
    "search_placeholder": ("Words, names, places… (Arabic or English)", "كلمات، أسماء، أماكن…"),
    "results": ("results", "نتيجة"),
    "about": ("about", "حوالي"),
    "no_results": ("Nothing found. Try fewer or other words.", "لا نتائج. جرّب كلمات أقل أو أخرى."),
    "previous": ("Previous", "السابق"),
    "next": ("Next", "التالي"),
    "refine": ("Refine", "تضييق البحث"),
    "added": ("Added", "أضيف في"),
    "captured": ("Captured", "التُقط في"),
    "download": ("Download the original", "تنزيل الأصل"),
    "open_pdf": ("Open the PDF", "فتح ملف PDF"),
    "metadata": ("Metadata", "البيانات الوصفية"),
    "text": ("Extracted text", "النص المستخرج"),
    "contributions": ("Contributions (provenance)", "المساهمات (المصدر)"),
    "path": ("Path", "المسار"),
    "received": ("Received", "استُلم في"),
    "modified": ("Modified", "عُدّل في"),
    "note": ("Note", "ملاحظة"),
    "inside": ("Inside archive file", "داخل ملف مضغوط"),
    "members": ("Files inside", "الملفات بداخله"),
    "custody": ("Custody events", "سجل الحيازة"),
    "proof": ("Download the inclusion proof", "تنزيل إثبات الإدراج"),
    "proof_help": (
        "Check it offline: dhakira verify-proof FILE --key log.pub",
        "للتحقق دون اتصال: dhakira verify-proof FILE --key log.pub",
    ),
    "near_duplicates": ("Near-duplicates", "نسخ شبه مطابقة"),
    "link_rejected": ("rejected by an investigator", "رفضها محقق"),
    "link_confirmed": ("confirmed by an investigator", "أكّدها محقق"),
    "none": ("None", "لا شيء"),
    "tool_outputs": ("Raw tool output", "مخرجات الأدوات الخام"),
    "fixity": ("Fixity", "سلامة الملف"),
    "restricted": ("Restricted to", "مقيّد على"),
    "drop_here": (
        "Drop files or a zip here, or choose them",
        "أفلِت الملفات أو ملف zip هنا، أو اخترها",
    ),
    "choose_files": ("Choose files", "اختيار الملفات"),
    "collection_optional": ("Collection (optional)", "المجموعة (اختياري)"),
    "start_upload": ("Upload and add to the archive", "رفع وإضافة إلى الأرشيف"),
    "upload_help": (
        "Large files are sent in pieces: if the connection drops, press the button again"
        " and the upload goes on where it stopped.",
        "تُرسل الملفات الكبيرة على أجزاء: إذا انقطع الاتصال اضغط الزر مجددًا فيستأنف الرفع"
        " من حيث توقف.",
    ),
    "processing": ("Adding to the archive…", "جارٍ الإضافة إلى الأرشيف…"),
    "done": ("Done", "تم"),
    "failed": ("Failed", "فشل"),
    "new_user": ("New user", "مستخدم جديد"),
    "role": ("Role", "الدور"),
    "change_role": ("Change role", "تغيير الدور"),
    "new_password": ("New password", "كلمة مرور جديدة"),
    "add": ("Add", "إضافة"),
    "restrictions": ("Restrictions", "القيود"),
    "not_found": ("Not found", "غير موجود"),
    "not_found_help": (
        "There is no such page or item, or you may not see it.",
        "لا توجد صفحة أو مادة بهذا العنوان.",
    ),
    "error": ("Something went wrong", "حدث خطأ"),
    "bad_login": ("Wrong name or password.", "الاسم أو كلمة المرور غير صحيحة."),
    "too_many": (
        "Too many failed sign-ins. Wait 15 minutes.",
        "محاولات فاشلة كثيرة. انتظر ١٥ دقيقة.",
    ),
    "forbidden": ("You may not do this.", "لا يحق لك القيام بهذا."),
    "csrf": (
        "The form expired or did not come from this site: reload the page and try again.",
        "انتهت صلاحية النموذج أو لم يأتِ من هذا الموقع: أعد تحميل الصفحة وحاول مجددًا.",
    ),
    "bytes": ("bytes", "بايت"),
    "role_admin": ("admin", "مدير"),
    "role_investigator": ("investigator", "محقق"),
    "role_viewer": ("viewer", "مطّلع"),
    "type_image": ("images", "صور"),
    "type_video": ("videos", "فيديو"),
    "type_audio": ("audio", "صوت"),
    "type_application": ("documents and files", "مستندات وملفات"),
    "type_text": ("text", "نصوص"),
    "sort": ("Sort", "الترتيب"),
    "sort_relevance": ("relevance", "الصلة"),
    "sort_newest": ("newest capture", "الأحدث تصويرًا"),
    "sort_date": ("oldest capture", "الأقدم تصويرًا"),
    "all_items": ("All items", "كل المواد"),
}


def translator(lang: str) -> dict[str, str]:
    index = 1 if lang == "ar" else 0
    return {k: v[index] for k, v in MESSAGES.items()}


TABLES = {lang: translator(lang) for lang in LANGUAGES}


def from_accept_language(header: str) -> str | None:
    """The first of our languages the browser asks for (by q-value, then order)."""
    best: tuple[float, int, str] | None = None
    for pos, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().lower().split("-")[0]
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if lang in LANGUAGES and q > 0 and (best is None or (q, -pos) > (best[0], -best[1])):
            best = (q, pos, lang)
    return best[2] if best else None
