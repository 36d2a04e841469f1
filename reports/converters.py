"""URL converters that match only a domain name or an IP address (reports.shared.names).

A value that does not fit falls through to the patterns that answer 400
(reports.urls); reverse() of one fails loudly, which is why stored values are
validated when a report is imported.
"""

from reports.shared.names import URL_DOMAIN, URL_IP, domain_name, ip_text


class _Checked:
    regex: str

    @staticmethod
    def parse(value: str) -> str | None:
        raise NotImplementedError

    def to_python(self, value: str) -> str:
        parsed = self.parse(value)
        if parsed is None:
            raise ValueError(value)
        return parsed

    def to_url(self, value) -> str:
        return self.to_python(str(value))


class DomainConverter(_Checked):
    regex = URL_DOMAIN
    parse = staticmethod(domain_name)


class IpConverter(_Checked):
    regex = URL_IP
    parse = staticmethod(ip_text)
