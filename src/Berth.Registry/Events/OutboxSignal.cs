using Berth.Data.Events;

namespace Berth.Registry.Events;

/// <summary>Wakes the outbox dispatcher when this process commits registry events.</summary>
public sealed class OutboxSignal : CommitSignal;
