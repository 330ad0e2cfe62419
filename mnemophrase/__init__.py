"""mnemo-phrase: corpusgen, tokenizer, train_plugin, basemodel and the command line."""
