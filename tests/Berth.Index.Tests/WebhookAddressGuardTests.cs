using System.Net;
using Berth.Server.Webhooks;

namespace Berth.Index.Tests;

/// <summary>Issue 12, point 5: the addresses the SSRF guard refuses at connect time, and what the allow-list lets through.</summary>
public sealed class WebhookAddressGuardTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.8.9.10")]
    [InlineData("0.0.0.0")]
    [InlineData("0.1.2.3")]
    [InlineData("10.0.0.1")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("100.127.255.254")]
    [InlineData("224.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("::")]
    [InlineData("::1")]
    [InlineData("fe80::1")]
    [InlineData("fc00::1")]
    [InlineData("fd00:ec2::254")]
    [InlineData("ff02::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("::ffff:10.1.2.3")]
    [InlineData("64:ff9b::a9fe:a9fe")]
    [InlineData("::127.0.0.1")]
    public void Internal_addresses_are_refused(string address)
    {
        var guard = new WebhookAddressGuard(null);
        Assert.True(WebhookAddressGuard.IsBlocked(IPAddress.Parse(address)));
        Assert.NotNull(guard.Refusal("hooks.example", IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("93.184.215.14")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("169.253.1.1")]
    [InlineData("2606:2800:21f:cb07:6820:80da:af6b:8b2c")]
    [InlineData("::ffff:93.184.215.14")]
    public void Public_addresses_pass(string address)
    {
        Assert.False(WebhookAddressGuard.IsBlocked(IPAddress.Parse(address)));
        Assert.Null(new WebhookAddressGuard(null).Refusal("hooks.example", IPAddress.Parse(address)));
    }

    [Fact]
    public void The_allow_list_names_hosts_addresses_and_networks()
    {
        var guard = new WebhookAddressGuard("hooks.internal, 127.0.0.1, 10.1.0.0/16");
        Assert.Null(guard.Refusal("hooks.internal", IPAddress.Parse("10.9.9.9")));
        Assert.Null(guard.Refusal("HOOKS.internal.", IPAddress.Parse("10.9.9.9")));
        Assert.Null(guard.Refusal("anything", IPAddress.Parse("127.0.0.1")));
        Assert.Null(guard.Refusal("anything", IPAddress.Parse("::ffff:127.0.0.1")));
        Assert.Null(guard.Refusal("anything", IPAddress.Parse("10.1.200.3")));
        Assert.NotNull(guard.Refusal("anything", IPAddress.Parse("10.2.0.1")));
        Assert.NotNull(guard.Refusal("other.internal", IPAddress.Parse("169.254.169.254")));
    }
}
