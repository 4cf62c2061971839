/**
 * The built-in services table, used when the system's services database
 * (`/etc/services`) is missing — minimal containers often lack it. Written in the
 * services(5) format and parsed by the same parser; the ports are IANA's
 * (https://www.iana.org/assignments/service-names-port-numbers) and the names
 * and aliases those of Debian's netbase, so results match a full system.
 * @module
 */

/** The well-known services, in `/etc/services` format. */
export const WELL_KNOWN_SERVICES = `
tcpmux      1/tcp
echo        7/tcp
echo        7/udp
discard     9/tcp       sink null
discard     9/udp       sink null
systat      11/tcp      users
daytime     13/tcp
daytime     13/udp
netstat     15/tcp
qotd        17/tcp      quote
qotd        17/udp      quote       # RFC 865 defines both
chargen     19/tcp      ttytst source
chargen     19/udp      ttytst source
ftp-data    20/tcp
ftp         21/tcp
ssh         22/tcp
telnet      23/tcp
smtp        25/tcp      mail
time        37/tcp      timserver
time        37/udp      timserver
whois       43/tcp      nicname
domain      53/tcp
domain      53/udp
bootps      67/udp
bootpc      68/udp
tftp        69/udp
gopher      70/tcp
finger      79/tcp
http        80/tcp      www
kerberos    88/tcp      kerberos5 krb5 kerberos-sec
kerberos    88/udp      kerberos5 krb5 kerberos-sec
pop3        110/tcp     pop-3
sunrpc      111/tcp     portmapper
sunrpc      111/udp     portmapper
auth        113/tcp     authentication tap ident
nntp        119/tcp     readnews untp
ntp         123/udp
ntp         123/tcp
netbios-ns  137/udp
netbios-dgm 138/udp
netbios-ssn 139/tcp
imap2       143/tcp     imap
snmp        161/udp
snmp-trap   162/udp     snmptrap
bgp         179/tcp
irc         194/tcp
ldap        389/tcp
ldap        389/udp
https       443/tcp
https       443/udp
microsoft-ds 445/tcp
submissions 465/tcp     ssmtp smtps urd
syslog      514/udp
printer     515/tcp     spooler
submission  587/tcp
ldaps       636/tcp
rsync       873/tcp
ftps        990/tcp
imaps       993/tcp
pop3s       995/tcp
socks       1080/tcp
openvpn     1194/tcp
openvpn     1194/udp
ms-sql-s    1433/tcp
mqtt        1883/tcp
nfs         2049/tcp
nfs         2049/udp
mysql       3306/tcp
postgresql  5432/tcp    postgres
amqp        5672/tcp
x11         6000/tcp    x11-0
redis       6379/tcp
http-alt    8080/tcp    webcache
`;
