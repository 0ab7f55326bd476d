import ZeroMQ
print(ZeroMQLibrary.version)
