// An independent bulk-echo load generator in C (issue 11's shape: N connections, S-byte
// writes, W bytes in flight each), to measure `serve echo` against Python and raw Node
// without a Node generator sharing the event-loop costs. Loopback only (127.0.0.1).
// Every byte read back is compared with what was sent (exit 1 on a mismatch or a close).
// The first second is a warm-up, not counted.
//   gcc -O2 -o /tmp/stream-gen bench/tools/stream-gen.c
//   /tmp/stream-gen PORT CONNS SIZE INFLIGHT SECONDS     e.g. /tmp/stream-gen 7007 4 16384 1048576 4
// Prints "<MB/s> MB/s" (10^6 bytes echoed per second, after the warm-up).

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <fcntl.h>
#include <time.h>
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#define P 251
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec/1e9;}
int main(int c,char**v){
  if(c<6){fprintf(stderr,"usage\n");return 2;}
  int port=atoi(v[1]),n=atoi(v[2]);long size=atol(v[3]),infl=atol(v[4]);double secs=atof(v[5]);
  unsigned char*pat=malloc(size+P+65536*2);for(long i=0;i<size+P+131072;i++)pat[i]=i%P;
  unsigned char*rb=malloc(65536);
  struct pollfd*pf=calloc(n,sizeof*pf);long*sent=calloc(n,8),*recvd=calloc(n,8);
  for(int i=0;i<n;i++){int fd=socket(AF_INET,SOCK_STREAM,0);struct sockaddr_in a={0};a.sin_family=AF_INET;a.sin_port=htons(port);a.sin_addr.s_addr=htonl(0x7f000001);
    if(connect(fd,(void*)&a,sizeof a)){perror("connect");return 1;}int one=1;setsockopt(fd,IPPROTO_TCP,TCP_NODELAY,&one,4);fcntl(fd,F_SETFL,O_NONBLOCK);pf[i].fd=fd;}
  double t0=now(),end=t0+secs,warm=t0+1.0;long base=0;int warmed=0;long total=0;
  while(1){double t=now();if(t>=end)break;if(!warmed&&t>=warm){warmed=1;base=total;t0=t;}
    for(int i=0;i<n;i++)pf[i].events=POLLIN|((sent[i]-recvd[i]+size<=infl)?POLLOUT:0);
    if(poll(pf,n,100)<0){perror("poll");return 1;}
    for(int i=0;i<n;i++){
      if(pf[i].revents&POLLOUT){while(sent[i]-recvd[i]+size<=infl){long off=sent[i]%P;ssize_t w=write(pf[i].fd,pat+off,size);if(w<=0)break;sent[i]+=w;if(w<size)break;}}
      if(pf[i].revents&(POLLIN|POLLERR|POLLHUP)){for(int k=0;k<8;k++){ssize_t r=read(pf[i].fd,rb,65536);if(r<0&&errno==EAGAIN)break;if(r<=0){fprintf(stderr,"conn %d closed\n",i);return 1;}
        if(memcmp(rb,pat+(recvd[i]%P),r)){fprintf(stderr,"MISMATCH conn %d at %ld\n",i,recvd[i]);return 1;}recvd[i]+=r;total+=r;if(r<65536)break;}}
    }}
  double el=now()-t0;printf("%.1f MB/s\n",(total-base)/el/1e6);return 0;}
