namespace Berth.Data.Entities;

/// <summary>
/// One key of ASP.NET Data Protection's key ring (the XML element it asks to store), kept in the database so every
/// node of a cluster, and the same node after a restart, verifies what another issued (the web UI's antiforgery tokens).
/// </summary>
public sealed class DataProtectionKey
{
    public long Id { get; set; }

    public required string FriendlyName { get; set; }

    public required string Xml { get; set; }
}
