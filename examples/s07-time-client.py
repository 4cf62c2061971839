# Tutorial program S7 (docs/tutorial-map.md): the tutorial's time client, unchanged except that the port comes
# from the command line (the tutorial hard-codes 127.0.0.1:8080). Type a strftime format
# ("%H:%M", or just Enter for the server's "%F %X"); Ctrl-D to quit.
#
# Run: python3 examples/s07-time-client.py 8080   (against examples/s07-time-server.ts
# or `socketkit serve strftime --port 8080`).
import sys
from socket import *

ip_port = ("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 8080)
udp_client = socket(AF_INET, SOCK_DGRAM)  # 基于网络, 数据报
while True:
    try:
        msg = input(">>>")
    except EOFError:
        break
    udp_client.sendto(msg.encode("utf-8"), ip_port)  # 发送于谁
    data, addr = udp_client.recvfrom(1024)  # 接收来自于谁
    print("标准时间为:", data.decode("utf-8"))
