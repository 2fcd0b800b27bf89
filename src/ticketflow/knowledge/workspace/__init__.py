"""Reading a workspace folder into values: documents with front matter, voice, rules, phrasings, examples."""
