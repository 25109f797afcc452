using System.Net;
using Proxy.Networking;

namespace Proxy.Tests.Networking;

public sealed class AccessListTests
{
    [Fact]
    public void Deny_wins_over_allow()
    {
        var acl = Acl(allow: ["10.0.0.0/8"], deny: ["10.1.0.0/16"]);

        Assert.False(acl.IsAllowed(Ip("10.1.2.3")));
        Assert.True(acl.IsAllowed(Ip("10.2.0.1")));
    }

    [Fact]
    public void Deny_wins_even_when_allow_is_more_specific()
    {
        var acl = Acl(allow: ["10.1.2.3"], deny: ["10.0.0.0/8"]);

        Assert.False(acl.IsAllowed(Ip("10.1.2.3")));
    }

    [Fact]
    public void Empty_allow_list_allows_everyone_not_denied()
    {
        var acl = Acl(allow: [], deny: ["192.0.2.0/24", "2001:db8::/32"]);

        Assert.True(acl.IsAllowed(Ip("10.0.0.1")));
        Assert.True(acl.IsAllowed(Ip("::1")));
        Assert.False(acl.IsAllowed(Ip("192.0.2.55")));
        Assert.False(acl.IsAllowed(Ip("2001:db8::1")));
    }

    [Fact]
    public void Empty_lists_allow_everyone()
    {
        var acl = Acl(allow: [], deny: []);

        Assert.True(acl.IsAllowed(Ip("203.0.113.9")));
        Assert.True(acl.IsAllowed(Ip("2001:db8::9")));
        Assert.True(acl.IsAllowed(Ip("::ffff:203.0.113.9")));
    }

    [Fact]
    public void Non_empty_allow_list_refuses_everyone_else()
    {
        var acl = Acl(allow: ["10.0.0.0/8", "::1"], deny: []);

        Assert.True(acl.IsAllowed(Ip("10.255.255.255")));
        Assert.True(acl.IsAllowed(Ip("::1")));
        Assert.False(acl.IsAllowed(Ip("11.0.0.0")));
        Assert.False(acl.IsAllowed(Ip("127.0.0.1")));
        Assert.False(acl.IsAllowed(Ip("::2")));
    }

    [Fact]
    public void Ipv6_networks_are_matched_by_prefix()
    {
        var acl = Acl(allow: ["2001:db8::/32"], deny: ["2001:db8:bad::/48"]);

        Assert.True(acl.IsAllowed(Ip("2001:db8:1::1")));
        Assert.False(acl.IsAllowed(Ip("2001:db8:bad::1")));
        Assert.False(acl.IsAllowed(Ip("2001:db9::1")));
    }

    [Fact]
    public void Ipv4_and_ipv6_entries_do_not_match_the_other_family()
    {
        var v4 = Acl(allow: ["0.0.0.0/0"], deny: []);
        var v6 = Acl(allow: ["2000::/3"], deny: []);

        Assert.False(v4.IsAllowed(Ip("2001:db8::1")));
        Assert.False(v6.IsAllowed(Ip("10.0.0.1")));
    }

    [Fact]
    public void Ipv4_mapped_ipv6_address_matches_ipv4_entries()
    {
        var acl = Acl(allow: ["10.0.0.0/8"], deny: ["10.1.0.0/16"]);

        Assert.True(acl.IsAllowed(Ip("::ffff:10.2.3.4")));
        Assert.False(acl.IsAllowed(Ip("::ffff:10.1.2.3")));
        Assert.False(acl.IsAllowed(Ip("::ffff:192.0.2.1")));
    }

    [Fact]
    public void Ipv4_mapped_ipv6_entry_matches_ipv4_and_mapped_addresses()
    {
        var acl = Acl(allow: ["::ffff:10.0.0.0/104"], deny: ["::ffff:10.1.2.3"]);

        Assert.True(acl.IsAllowed(Ip("10.2.3.4")));
        Assert.True(acl.IsAllowed(Ip("::ffff:10.2.3.4")));
        Assert.False(acl.IsAllowed(Ip("10.1.2.3")));
        Assert.False(acl.IsAllowed(Ip("::ffff:10.1.2.3")));
        Assert.False(acl.IsAllowed(Ip("11.0.0.1")));
    }

    [Theory]
    [InlineData("::ffff:10.0.0.0/104", "10.0.0.0/8")]
    [InlineData("::ffff:10.1.2.3", "10.1.2.3/32")]
    [InlineData("::ffff:0.0.0.0/96", "0.0.0.0/0")]
    public void Ipv4_mapped_entry_is_stored_as_the_ipv4_network(string entry, string expected)
    {
        Assert.True(NetworkList.TryParseNetwork(entry, out var network));

        Assert.Equal(IPNetwork.Parse(expected), network);
    }

    [Theory]
    [InlineData("10.0.0.5", "10.0.0.5/32")]
    [InlineData("2001:db8::5", "2001:db8::5/128")]
    [InlineData(" 10.0.0.5 ", "10.0.0.5/32")]
    [InlineData("10.0.0.0/8", "10.0.0.0/8")]
    [InlineData("2001:db8::/32", "2001:db8::/32")]
    [InlineData("0.0.0.0/0", "0.0.0.0/0")]
    [InlineData("::/0", "::/0")]
    public void Single_addresses_and_cidrs_parse(string entry, string expected)
    {
        Assert.True(NetworkList.TryParseNetwork(entry, out var network));

        Assert.Equal(IPNetwork.Parse(expected), network);
    }

    [Fact]
    public void Single_address_without_prefix_matches_only_that_address()
    {
        var acl = Acl(allow: ["10.0.0.5", "2001:db8::5"], deny: []);

        Assert.True(acl.IsAllowed(Ip("10.0.0.5")));
        Assert.True(acl.IsAllowed(Ip("::ffff:10.0.0.5")));
        Assert.True(acl.IsAllowed(Ip("2001:db8::5")));
        Assert.False(acl.IsAllowed(Ip("10.0.0.6")));
        Assert.False(acl.IsAllowed(Ip("10.0.0.4")));
        Assert.False(acl.IsAllowed(Ip("2001:db8::6")));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("not-an-ip")]
    [InlineData("10.0.0.256")]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.0/-1")]
    [InlineData("10.0.0.0/")]
    [InlineData("/8")]
    [InlineData("10.0.0.0/8/8")]
    [InlineData("10.0.0.0/x")]
    [InlineData("2001:db8::/129")]
    [InlineData("2001:db8:::1")]
    [InlineData("fe80::1%3")]
    [InlineData("10.0.0.0-10.0.0.255")]
    [InlineData("*")]
    public void Bad_entries_are_rejected(string? entry)
    {
        Assert.False(NetworkList.TryParseNetwork(entry, out _));
    }

    [Theory]
    [InlineData("192.168.1")]      // inet_aton reads this as 192.168.0.1, not the /24 the writer meant.
    [InlineData("10")]             // ...and this as 0.0.0.10.
    [InlineData("010.0.0.1")]      // ...and this, octal, as 8.0.0.1.
    [InlineData("0x0a.0.0.1")]
    [InlineData("192.168.1/24")]
    public void Abbreviated_and_octal_ipv4_forms_are_rejected_rather_than_reinterpreted(string entry)
    {
        Assert.False(NetworkList.TryParseNetwork(entry, out var network), $"'{entry}' was read as {network}.");
    }

    [Fact]
    public void List_with_one_bad_entry_does_not_parse()
    {
        Assert.False(NetworkList.TryParse(["10.0.0.0/8", "bogus", "::1"], out var list));
        Assert.Same(NetworkList.Empty, list);
    }

    [Fact]
    public void List_of_good_entries_parses_them_all()
    {
        Assert.True(NetworkList.TryParse(["10.0.0.0/8", "::1", "::ffff:192.0.2.0/120"], out var list));

        Assert.Equal(3, list.Count);
        Assert.True(list.Contains(Ip("192.0.2.200")));
        Assert.True(list.Contains(Ip("::1")));
        Assert.False(list.Contains(Ip("::2")));
    }

    [Fact]
    public void Longest_match_is_the_most_specific_prefix_or_minus_one()
    {
        Assert.True(NetworkList.TryParse(["10.0.0.0/8", "10.1.2.0/24", "10.1.0.0/16", "0.0.0.0/0"], out var list));

        Assert.Equal(24, list.LongestMatch(Ip("10.1.2.3")));
        Assert.Equal(16, list.LongestMatch(Ip("::ffff:10.1.9.9")));
        Assert.Equal(8, list.LongestMatch(Ip("10.9.9.9")));
        Assert.Equal(0, list.LongestMatch(Ip("192.0.2.1")));
        Assert.Equal(-1, list.LongestMatch(Ip("2001:db8::1")));
        Assert.Equal(-1, NetworkList.Empty.LongestMatch(Ip("10.1.2.3")));
    }

    private static AccessList Acl(string[] allow, string[] deny)
    {
        Assert.True(NetworkList.TryParse(allow, out var allowList));
        Assert.True(NetworkList.TryParse(deny, out var denyList));
        return new AccessList(allowList, denyList);
    }

    private static IPAddress Ip(string text) => IPAddress.Parse(text);
}
