"""URL converters that match only a domain name or an IP address (reports.ingest.names).

A value that does not fit is a 404 before any view runs; reverse() of one fails
loudly, which is why stored values are validated when a report is imported.
"""

from reports.ingest.names import URL_DOMAIN, URL_IP, domain_name, ip_text


class DomainConverter:
    regex = URL_DOMAIN

    def to_python(self, value: str) -> str:
        name = domain_name(value)
        if name is None:
            raise ValueError(value)
        return name

    def to_url(self, value: str) -> str:
        return self.to_python(value)


class IpConverter:
    regex = URL_IP

    def to_python(self, value: str) -> str:
        ip = ip_text(value)
        if ip is None:
            raise ValueError(value)
        return ip

    def to_url(self, value: str) -> str:
        return self.to_python(str(value))
