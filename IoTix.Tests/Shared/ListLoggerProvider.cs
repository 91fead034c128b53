using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace IoTix.Tests.Shared;

/// <summary>A logger provider that keeps every entry of every category at every level the host's filters let through (with exception texts), for tests asserting on a host's logs.</summary>
public sealed class ListLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<(string Category, LogLevel Level, EventId Id, string Message)> _entries = new();

    public IReadOnlyList<(string Category, LogLevel Level, EventId Id, string Message)> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(ListLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._entries.Enqueue((category, logLevel, eventId, formatter(state, exception) + (exception is null ? "" : " " + exception)));
    }
}
