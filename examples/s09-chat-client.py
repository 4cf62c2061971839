# Tutorial program S9 (docs/tutorial-map.md): the tutorial's chat client, unchanged except that the port comes
# from the command line (the tutorial hard-codes localhost:12345). It sends each input()
# line WITHOUT a newline; socketkit's chat server still sees it as one message (a line
# that waited --flush-delay-ms milliseconds is sent). The received lines already end in CRLF, so
# print() shows an empty line between messages, as with the tutorial's own server.
#
# Run: python3 examples/s09-chat-client.py 7777   (against examples/s09-chat-server.ts
# or `socketkit serve chat`). Ctrl-C to leave: the server announces the leave.
import socket
import sys
import threading


def receive_messages(client_socket):
    while True:
        try:
            message = client_socket.recv(1024).decode()
            if not message:
                break
            print(message)
        except:
            break


def send_messages(client_socket):
    while True:
        message = input()
        client_socket.sendall(message.encode())


def start_client():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 12345
    client_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    client_socket.connect(('localhost', port))
    receive_thread = threading.Thread(target=receive_messages, args=(client_socket,))
    receive_thread.start()
    send_thread = threading.Thread(target=send_messages, args=(client_socket,))
    send_thread.start()


if __name__ == "__main__":
    start_client()
