"""mnemo-phrase: the one import package of mnemo-corpus. Its parts are the sub-packages
lexicons, corpusgen, tokenizer, train_plugin, basemodel and cli; nothing is imported here, so
`import mnemophrase.corpusgen` loads no more than it did as a package of its own."""
