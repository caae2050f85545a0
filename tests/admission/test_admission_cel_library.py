"""Each CEL function and macro Kubernetes offers to CRD rules, evaluated by qxo's compiler."""

import pytest

from qxo.admission.cel import CelCompileError, compile_expression
from qxo.admission.cellib import CelError

SELF = {
    "s": "Hello World",
    "n": 3,
    "f": 0.5,
    "l": [3, 1, 2],
    "m": {"k": "v", "x": "y"},
    "u": "https://user@example.com:8443/a%20b?x=1&x=2&y=",
    "t": "2026-11-21T23:00:00Z",
}

TRUE_EXPRESSIONS = [
    "has(self.s)",
    "!has(self.missing)",
    "self.l.all(x, x > 0)",
    "self.l.exists(x, x == 2)",
    "self.l.exists_one(x, x > 2)",
    "self.l.map(x, x * 2) == [6, 2, 4]",
    "self.l.map(x, x > 1, x * 10) == [30, 20]",
    "self.l.filter(x, x > 1) == [3, 2]",
    "self.m.all(k, k.size() == 1)",
    "size(self.l) == 3 && self.l.size() == 3 && size(self.s) == 11 && size(self.m) == 2",
    "self.s.matches('^Hel+o') && matches(self.s, 'World$')",
    "self.s.startsWith('Hell') && self.s.endsWith('ld') && self.s.contains('o W')",
    "self.s.lowerAscii() == 'hello world' && self.s.upperAscii() == 'HELLO WORLD'",
    "self.s.split(' ') == ['Hello', 'World'] && 'a,b,c'.split(',', 2) == ['a', 'b,c']",
    "['a', 'b'].join() == 'ab' && ['a', 'b'].join('-') == 'a-b'",
    "self.s.indexOf('o') == 4 && self.s.indexOf('o', 5) == 7 && self.s.lastIndexOf('o') == 7",
    "self.l.indexOf(1) == 1 && self.l.lastIndexOf(9) == -1",
    "'  x '.trim() == 'x'",
    "self.s.replace('l', 'L') == 'HeLLo WorLd' && self.s.replace('l', 'L', 1) == 'HeLlo World'",
    "self.s.substring(6) == 'World' && self.s.substring(0, 5) == 'Hello' && self.s.charAt(1) == 'e'",
    "'abc'.reverse() == 'cba'",
    "isURL(self.u) && isURL('/path') && !isURL('example.com') && !isURL('http://a b')",
    "url(self.u).getScheme() == 'https' && url(self.u).getHost() == 'example.com:8443'",
    "url(self.u).getHostname() == 'example.com' && url(self.u).getPort() == '8443'",
    "url('https://[::1]:80/').getHostname() == '::1' && url('https://x/').getPort() == ''",
    "url(self.u).getEscapedPath() == '/a%20b' && url(self.u).getQuery()['x'] == ['1', '2']",
    "self.l.isSorted() == false && [1, 2, 2].isSorted() && self.l.sum() == 6",
    "self.l.min() == 1 && self.l.max() == 3",
    "'abc123'.find('[0-9]+') == '123' && 'a1b2'.findAll('[0-9]') == ['1', '2']",
    "int('42') == 42 && double('0.5') == self.f && string(7) == '7' && string(true) == 'true'",
    "string(1.0) == '1' && string(0.25) == '0.25' && string(duration('1h')) == '3600s'",
    "uint(3) == 3 && bool('true') && bytes('a') == b'a' && dyn(self.n) == 3",
    "duration('1h30m') > duration('90s') && duration('1.5h') == duration('90m')",
    "timestamp(self.t) < timestamp('2027-01-01T00:00:00Z') && timestamp(self.t).getFullYear() == 2026",
    "timestamp(self.t) + duration('1h') > timestamp(self.t)",
    "1 == 1.0 && 2 > 1.5 && 7 / 2 == 3 && -7 / 2 == -3 && -7 % 3 == -1 && 7.0 / 2.0 == 3.5",
    "'k' in self.m && 2 in self.l && !(5 in self.l)",
    "self.n > 1 ? true : false",
    "{'a': 1}['a'] == 1 && [1, [2]][1][0] == 2",
    "optional.of(1).hasValue() && !optional.none().hasValue() && optional.none().orValue(5) == 5",
    "'\\x41\\u0042' == 'AB' && r'\\d' == '\\\\d' && '''multi\nline'''.size() == 10",
    "null == null && self.m != null && [] == [] && {} == {}",
    "0x10 == 16 && 1e3 == 1000.0 && -self.n == -3",
    "self.l.all(x, [x].all(x, x > 0) && x in self.l)",
    "self.l.map(x, self.l.filter(y, y < x).size()) == [2, 0, 1]",
    # The IP and CIDR libraries, with the examples of Kubernetes' own documentation (ip.go, cidr.go).
    "isIP('127.0.0.1') && isIP('::1') && !isIP('127.0.0.256') && !isIP(':::1') && !isIP('010.0.0.1')",
    "!isIP('::ffff:1.2.3.4') && !isIP('fe80::1%eth0')",
    "ip('127.0.0.1').family() == 4 && ip('::1').family() == 6 && string(ip('2001:db8::abcd')) == '2001:db8::abcd'",
    "ip('0.0.0.0').isUnspecified() && ip('::').isUnspecified() && !ip('127.0.0.1').isUnspecified()",
    "ip('127.0.0.1').isLoopback() && ip('::1').isLoopback() && !ip('192.168.0.1').isLoopback()",
    "ip('224.0.0.1').isLinkLocalMulticast() && !ip('224.0.1.1').isLinkLocalMulticast()",
    "ip('169.254.169.254').isLinkLocalUnicast() && ip('fe80::1').isLinkLocalUnicast() && "
    "!ip('192.168.0.1').isLinkLocalUnicast()",
    "ip('192.168.0.1').isGlobalUnicast() && !ip('255.255.255.255').isGlobalUnicast() && "
    "!ip('ff00::1').isGlobalUnicast()",
    "isCIDR('192.168.0.0/16') && isCIDR('::1/128') && !isCIDR('192.168.0.0/33') && !isCIDR('::1/129')",
    "isCIDR('192.168.0.1/16') && !isCIDR('192.168.0.0') && !isCIDR('::ffff:1.2.3.4/24')",
    "cidr('192.168.0.0/24').containsIP(ip('192.168.0.1')) && !cidr('192.168.0.0/24').containsIP('192.168.1.1')",
    "cidr('192.168.0.0/16').containsCIDR(cidr('192.168.10.0/24')) && "
    "!cidr('192.168.1.0/24').containsCIDR('192.168.2.0/24')",
    "cidr('192.168.0.1/24').ip() == ip('192.168.0.1') && cidr('::1/128').ip().family() == 6",
    "cidr('192.168.0.1/24').masked() == cidr('192.168.0.0/24') && "
    "cidr('192.168.0.0/24') == cidr('192.168.0.0/24').masked()",
    "cidr('192.168.0.1/24') != cidr('192.168.0.1/24').masked() && string(cidr('10.0.0.1/8').masked()) == '10.0.0.0/8'",
    "cidr('192.168.0.0/16').prefixLength() == 16 && cidr('::1/128').prefixLength() == 128",
]


@pytest.mark.parametrize("expression", TRUE_EXPRESSIONS)
def test_expression_is_true(expression):
    assert compile_expression(expression)({"self": SELF}) is True


ERRORS = [
    ("self.missing", "no such key: missing"),
    ("self.l[5]", "index out of bounds: 5"),
    ("self.m['zz']", "no such key: zz"),
    ("self.n / 0", "division by zero"),
    ("self.n % 0", "modulus by zero"),
    ("9223372036854775807 + 1", "integer overflow"),
    ("self.s + 1", "no such overload: string + int"),
    ("url('nope')", "URL parse error during conversion from string: nope"),
    ("ip('1.2.3')", "parse error during conversion from string"),
    ("cidr('10.0.0.0/40')", "network address parse error during conversion from string"),
    ("ip('1.2.3.4').prefixLength()", "no such overload"),
    ("optional.none().value()", "optional.none() dereference"),
    ("int('x')", "cannot convert 'x' to int"),
    ("duration('forever')", "invalid duration: forever"),
    ("timestamp('yesterday')", "invalid timestamp: yesterday"),
    ("self.s.matches('[')", "invalid regex"),
    ("self.n.size()", "no such overload"),
    ("self.l.all(x, x)", "no such overload"),
    ("undefinedVariable", "undeclared reference to 'undefinedVariable'"),
]


@pytest.mark.parametrize(("expression", "message"), ERRORS)
def test_expression_errors(expression, message):
    program = compile_expression(expression)
    with pytest.raises(CelError) as caught:
        program({"self": SELF})
    assert message in str(caught.value)


@pytest.mark.parametrize("expression", ["self.a <", "self.nosuchfunction()", "nosuch(1)", "Msg{a: 1}", "has(self)",
                                        "cidr('10.0.0.0/8').prefixLength(1)"])
def test_compile_errors(expression):
    with pytest.raises(CelCompileError):
        compile_expression(expression)


def test_macro_variables_do_not_leak_into_the_environment():
    env = {"self": SELF}
    assert compile_expression("self.l.exists(x, x == 2)")(env) is True
    assert set(env) == {"self"}
    env = {"self": SELF, "x": "outer"}
    assert compile_expression("self.l.all(x, x > 0) && x == 'outer'")(env) is True
    assert env["x"] == "outer"
