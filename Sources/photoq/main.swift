print("photoq")
