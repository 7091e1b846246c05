"""Search text handling: Arabic normalisation and stemming, transliteration keys, query parsing."""
