print("photoqd")
