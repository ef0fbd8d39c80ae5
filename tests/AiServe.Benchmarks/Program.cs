using AiServe.Benchmarks;
using BenchmarkDotNet.Running;

// Two tools in one console app:
//   dotnet run -c Release --project tests/AiServe.Benchmarks -- --filter '*' --job short     BenchmarkDotNet micro-benchmarks
//   dotnet run -c Release --project tests/AiServe.Benchmarks -- ceiling --urls URL [--models DIR]   the bare-Kestrel ceiling
if (args.Length > 0 && args[0] == "ceiling")
{
    return await HttpCeiling.RunAsync(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(RepoPaths).Assembly).Run(args);
return 0;
