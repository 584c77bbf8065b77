print("photoq-model")
