"""The search evaluation set: documents as a documentation group holds them, and queries with
the documents a researcher expects to find, covering every spelling variant we promise."""

from __future__ import annotations

# key: (contributor, file name, text)
DOCS: dict[str, tuple[str, str, str]] = {
    "douma_ar": (
        "Ahmad",
        "شهادة-دوما.txt",
        "قصفٌ على مستشفى دُوما في الغوطة الشرقية مساء السابع من نيسان ٢٠١٨، وسقوط ضحايا",
    ),
    "douma_en": (
        "VDC",
        "douma-report.txt",
        "Report: shelling of the Douma hospital in Eastern Ghouta on 7 April 2018.",
    ),
    "ghouta_var": (
        "Layla",
        "الغوطه.txt",
        "حصار الغوطه الشرقيه مستمر منذ سنوات والمستشفيات الميدانيه تعمل بلا كهرباء",
    ),
    "raqqa_ar": (
        "Ahmad",
        "الرقة-سوق.txt",
        "غارة جوية على السوق الشعبي في الرقة وتدمير المستشفى الوطني",
    ),
    "raqqa_en": (
        "VDC",
        "raqqa-market.txt",
        "Airstrike on the popular market in Raqqa; the National Hospital was destroyed.",
    ),
    "khan_ar": ("Ahmad", "خان-شيخون.txt", "هجوم كيميائي على خان شيخون في ريف إدلب الجنوبي"),
    "khan_en": (
        "VDC",
        "khan-sheikhoun.txt",
        "Chemical attack on Khan Sheikhoun, southern Idlib countryside, April 2017.",
    ),
    "aleppo_ar": ("Layla", "حلب.txt", "حصار أحياء حلب الشرقية وقصف الأسواق"),
    "aleppo_en": (
        "VDC",
        "aleppo-siege.txt",
        "The siege of eastern Aleppo and the bombing of markets",
    ),
    "idlib_ar": ("Ahmad", "ادلب.txt", "نزوح آلاف العائلات من إدلب باتجاه الحدود"),
    "digits": ("Ahmad", "تاريخ.txt", "مجزرة الحولة في ٢٥ أيار ۲۰۱۲ في ريف حمص"),
    "persian": ("Layla", "كفرنبل.txt", "لافتات کفرنبل المحتلة ساخرة وصلت إلی العالم"),
    "deir_ar": ("Ahmad", "دير-الزور.txt", "حصار مدينة دير الزور من قبل التنظيم"),
    "deir_en": ("VDC", "deir-ez-zor.txt", "Siege of Deir ez-Zor city by the organisation"),
    "daraa_ar": ("Layla", "درعا.txt", "أولى المظاهرات في درعا في آذار ٢٠١١ بعد اعتقال الأطفال"),
    "daraa_en": (
        "VDC",
        "daraa-protests.txt",
        "First protests in Daraa, March 2011, after the arrest of children",
    ),
    "homs_ar": ("Ahmad", "حمص.txt", "اقتحام حي بابا عمرو في حمص"),
    "homs_en": ("VDC", "homs-baba-amr.txt", "Storming of the Baba Amr district in Homs"),
    "hama_ar": ("Layla", "حماة.txt", "مجزرة حماة عام ١٩٨٢ وذاكرة المدينة"),
    "saraqib_en": ("VDC", "saraqib.txt", "Barrel bombs on Saraqib, Idlib governorate"),
    "latakia_ar": ("Ahmad", "اللاذقية.txt", "اعتقالات في ريف اللاذقية"),
    "tatweel": ("Layla", "شهادة.txt", "شـــهادة طبيبة عن قصف المستشفــى الميداني"),
    "hamza": ("Ahmad", "مسؤول.txt", "مسؤول في الدفاع المدني: لا توجد بيئة آمنة للأطفال"),
    "clinic_en": (
        "VDC",
        "clinics.txt",
        "Field hospitals and clinics under attack across the country",
    ),
    # unrelated material, in both languages
    "weather_ar": ("Layla", "طقس.txt", "نشرة الطقس: أمطار غزيرة ورياح على الساحل"),
    "weather_en": ("VDC", "weather.txt", "Weather bulletin: heavy rain and wind on the coast"),
    "recipe_ar": ("Ahmad", "طبخ.txt", "طريقة تحضير الكبة الحلبية في المنزل"),
    "recipe_en": ("VDC", "recipe.txt", "How to cook kibbeh at home with bulgur and lamb"),
    "football": ("Layla", "كرة.txt", "مباراة كرة القدم بين فريقين من الدوري المحلي"),
    "school_en": ("VDC", "school.txt", "A school reopened after repairs; pupils returned"),
}

# (query, expected document keys: all should be in the top 10)
QUERIES: list[tuple[str, set[str]]] = [
    # Douma, every spelling
    ("دوما", {"douma_ar", "douma_en"}),
    ("دُوما", {"douma_ar", "douma_en"}),
    ("Douma", {"douma_ar", "douma_en"}),
    ("Duma", {"douma_ar", "douma_en"}),
    ("بدوما", {"douma_ar"}),
    ("ودوما", {"douma_ar"}),
    # Ghouta
    ("الغوطة الشرقية", {"douma_ar", "ghouta_var", "douma_en"}),
    ("الغوطه الشرقيه", {"douma_ar", "ghouta_var"}),
    ("Ghouta", {"douma_en", "douma_ar", "ghouta_var"}),
    ("Ghuta", {"douma_en", "douma_ar", "ghouta_var"}),
    ("Eastern Ghouta", {"douma_en", "douma_ar", "ghouta_var"}),
    ("بالغوطة", {"douma_ar", "ghouta_var"}),
    # hospitals: singular, plural, with article and prepositions
    ("مستشفى", {"douma_ar", "raqqa_ar", "ghouta_var", "tatweel"}),
    ("المستشفيات", {"douma_ar", "raqqa_ar", "ghouta_var", "tatweel"}),
    ("والمستشفى", {"douma_ar", "raqqa_ar", "tatweel"}),
    ("hospital", {"douma_en", "raqqa_en", "clinic_en"}),
    ("hospitals", {"clinic_en"}),
    ("hospit*", {"douma_en", "raqqa_en", "clinic_en"}),
    ("مستشف*", {"douma_ar", "raqqa_ar", "ghouta_var", "tatweel"}),
    # Raqqa
    ("Raqqa", {"raqqa_ar", "raqqa_en"}),
    ("Rakka", {"raqqa_ar", "raqqa_en"}),
    ("الرقة", {"raqqa_ar", "raqqa_en"}),
    ("الرقه", {"raqqa_ar", "raqqa_en"}),
    ("بالرقة", {"raqqa_ar"}),
    ("ar-Raqqah", {"raqqa_ar", "raqqa_en"}),
    # Khan Sheikhoun
    ("خان شيخون", {"khan_ar", "khan_en"}),
    ("Khan Sheikhoun", {"khan_ar", "khan_en"}),
    ("Khan Shaykhun", {"khan_ar", "khan_en"}),
    ("كيميائي", {"khan_ar"}),
    ("chemical attack", {"khan_en"}),
    # Aleppo / Halab
    ("حلب", {"aleppo_ar", "aleppo_en"}),
    ("Aleppo", {"aleppo_ar", "aleppo_en"}),
    ("Halab", {"aleppo_ar", "aleppo_en"}),
    # Idlib, alef forms
    ("إدلب", {"idlib_ar", "khan_ar", "khan_en", "saraqib_en"}),
    ("ادلب", {"idlib_ar", "khan_ar", "khan_en", "saraqib_en"}),
    ("Idlib", {"idlib_ar", "khan_ar", "khan_en", "saraqib_en"}),
    ("Idleb", {"idlib_ar", "khan_en", "saraqib_en"}),
    # digits: Arabic-Indic and Eastern Arabic-Indic are ASCII in the index
    ("2012", {"digits"}),
    ("٢٠١٢", {"digits"}),
    ("2018", {"douma_ar", "douma_en"}),
    ("٢٠١١", {"daraa_ar", "daraa_en"}),
    # Persian letters in the document, Arabic letters in the query
    ("كفرنبل", {"persian"}),
    ("Kafr Nabl", {"persian"}),
    ("الى العالم", {"persian"}),
    # Deir ez-Zor
    ("دير الزور", {"deir_ar", "deir_en"}),
    ("Deir ez-Zor", {"deir_ar", "deir_en"}),
    ("Deir al-Zour", {"deir_ar", "deir_en"}),
    # Daraa
    ("درعا", {"daraa_ar", "daraa_en"}),
    ("Daraa", {"daraa_ar", "daraa_en"}),
    ("Deraa", {"daraa_ar", "daraa_en"}),
    # Homs, Hama
    ("حمص", {"homs_ar", "homs_en", "digits"}),
    ("Homs", {"homs_ar", "homs_en", "digits"}),
    ("Baba Amr", {"homs_ar", "homs_en"}),
    ("حماة", {"hama_ar"}),
    ("حماه", {"hama_ar"}),
    ("Hama", {"hama_ar"}),
    # Saraqib, Latakia
    ("سراقب", {"saraqib_en"}),
    ("Latakia", {"latakia_ar"}),
    ("Lattakia", {"latakia_ar"}),
    # tatweel, hamza forms, diacritics
    ("شهادة طبيبة", {"tatweel"}),
    ("مسئول", {"hamza"}),
    ("امنة", {"hamza"}),
    ("قصف", {"douma_ar", "aleppo_ar", "tatweel"}),
    # phrases, OR, exclusion, file names, contributors
    ('"Douma hospital"', {"douma_en"}),
    ('"مستشفى دوما"', {"douma_ar"}),
    ("Raqqa OR Aleppo", {"raqqa_en", "raqqa_ar", "aleppo_en", "aleppo_ar"}),
    ("siege -Aleppo", {"deir_en"}),
    ("douma-report", {"douma_en"}),
    ("contributor:Layla حصار", {"ghouta_var", "aleppo_ar"}),
    ("protests contributor:VDC", {"daraa_en"}),
]
